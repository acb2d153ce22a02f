//! The binary in a corporate network: a private CA given with `--ca-cert`
//! or `SSL_CERT_FILE`, and proxies named in the real environment
//! (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), all on loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use clerk_test_support::certs::{Ca, HOST};
use clerk_test_support::hostile::cases::answer_token;
use clerk_test_support::hostile::server::Server;

use crate::support::{SENTINEL_KEY, cli, finish, mock, run_at};

/// A TLS server on 127.0.0.1 with a certificate from a fresh test CA.
fn private_tls_server() -> (Ca, Server) {
    let ca = Ca::new("corporate test CA");
    let server = Server::tls(ca.leaf(&[HOST]).server_config(), answer_token);
    (ca, server)
}

/// Writes `contents` to a file of its own under the temp directory.
fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "clerk-cli-{}-{name}-{}",
        std::process::id(),
        contents.len()
    ));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

const CREATE: [&str; 3] = ["create", "--user-id", "user_1"];

#[test]
fn a_private_ca_is_refused_by_default_and_trusted_with_ca_cert() {
    let (ca, server) = private_tls_server();
    let refused = run_at(&server.base_url(), &CREATE).expect(3);
    assert!(refused.error_line().contains("TLS"), "{}", refused.stderr);
    assert_eq!(server.requests(), 0);

    let pem = temp_file("ca.pem", &ca.pem);
    let pem_arg = pem.to_str().expect("utf-8 temp path");
    let mut args = vec!["--ca-cert", pem_arg];
    args.extend_from_slice(&CREATE);
    let trusted = run_at(&server.base_url(), &args).expect(0);
    assert_eq!(trusted.json()["object"], "sign_in_token");
    assert_eq!(server.requests(), 1);
    let _ = std::fs::remove_file(pem);
}

#[test]
fn ssl_cert_file_is_honoured() {
    let (ca, server) = private_tls_server();
    let bundle = format!("{}{}", Ca::new("another CA").pem, ca.pem);
    let pem = temp_file("bundle.pem", &bundle);
    let mut command = cli(Some(SENTINEL_KEY));
    command
        .env("SSL_CERT_FILE", &pem)
        .args(["--api-url", &server.base_url()])
        .args(CREATE);
    let run = finish(command.spawn().expect("spawn")).expect(0);
    assert_eq!(run.json()["object"], "sign_in_token");
    let _ = std::fs::remove_file(pem);
}

#[test]
fn an_unusable_ca_file_is_a_usage_error() {
    let not_pem = temp_file("not.pem", "this is not a certificate\n");
    let missing = std::env::temp_dir().join("clerk-cli-no-such-file.pem");
    for path in [&not_pem, &missing] {
        let path = path.to_str().expect("utf-8 temp path");
        let mut args = vec!["--ca-cert", path];
        args.extend_from_slice(&CREATE);
        let run = run_at("https://127.0.0.1:9/v1", &args).expect(2);
        assert!(
            run.error_line().contains("nothing was sent"),
            "{}",
            run.stderr
        );
    }
    let _ = std::fs::remove_file(not_pem);
}

/// How the test proxy answers.
#[derive(Clone, Copy)]
enum Behaviour {
    Pass,
    Status(u16),
}

/// A proxy on 127.0.0.1 that sends tunnels and forwarded requests to
/// `origin` and records every request head. Its threads end within seconds.
struct Proxy {
    addr: SocketAddr,
    heads: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    fn start(origin: SocketAddr, behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let heads = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&heads);
        thread::spawn(move || {
            let give_up = Instant::now() + Duration::from_secs(9);
            while Instant::now() < give_up {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let log = Arc::clone(&log);
                        thread::spawn(move || relay(stream, origin, behaviour, &log));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self { addr, heads }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().expect("heads").clone()
    }
}

fn relay(
    mut client: TcpStream,
    origin: SocketAddr,
    behaviour: Behaviour,
    log: &Mutex<Vec<String>>,
) {
    let _ = client.set_nonblocking(false);
    let _ = client.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match client.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    log.lock().expect("heads").push(head.clone());
    if let Behaviour::Status(code) = behaviour {
        let answer =
            format!("HTTP/1.1 {code} No\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        let _ = client.write_all(answer.as_bytes());
        return;
    }
    let Ok(mut upstream) = TcpStream::connect(origin) else {
        return;
    };
    let _ = upstream.set_read_timeout(Some(Duration::from_secs(5)));
    if head.starts_with("CONNECT ") {
        let _ = client.write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n");
        let _ = upstream.write_all(&buf[head_end..]);
    } else {
        // HTTP/1.1 servers accept the absolute-form target as is.
        let _ = upstream.write_all(&buf);
    }
    let (Ok(mut client_reader), Ok(mut upstream_writer)) =
        (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let up = thread::spawn(move || {
        let _ = std::io::copy(&mut client_reader, &mut upstream_writer);
        let _ = upstream_writer.shutdown(Shutdown::Write);
    });
    let _ = std::io::copy(&mut upstream, &mut client);
    let _ = client.shutdown(Shutdown::Both);
    let _ = up.join();
}

#[test]
fn https_proxy_from_the_environment_tunnels_the_call() {
    let (ca, server) = private_tls_server();
    let proxy = Proxy::start(server.addr(), Behaviour::Pass);
    let pem = temp_file("proxy-ca.pem", &ca.pem);

    let mut command = cli(Some(SENTINEL_KEY));
    command
        .env("HTTPS_PROXY", proxy.url())
        .env("SSL_CERT_FILE", &pem)
        .args(["--api-url", &server.base_url()])
        .args(CREATE);
    let run = finish(command.spawn().expect("spawn")).expect(0);
    assert_eq!(run.json()["object"], "sign_in_token");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!("CONNECT {} HTTP/1.1", server.addr())),
        "{heads:?}"
    );
    assert!(!heads[0].contains(SENTINEL_KEY));

    // NO_PROXY (lower case too) sends the same call around the proxy.
    let mut command = cli(Some(SENTINEL_KEY));
    command
        .env("https_proxy", proxy.url())
        .env("no_proxy", "localhost,127.0.0.1")
        .env("SSL_CERT_FILE", &pem)
        .args(["--api-url", &server.base_url()])
        .args(CREATE);
    finish(command.spawn().expect("spawn")).expect(0);
    assert_eq!(proxy.heads().len(), 1, "NO_PROXY must bypass the proxy");
    assert_eq!(server.requests(), 2);
    let _ = std::fs::remove_file(pem);
}

#[test]
fn http_proxy_from_the_environment_forwards_to_a_local_mock() {
    let server = mock(|b| b);
    let origin: SocketAddr = server
        .base_url()
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .parse()
        .expect("mock address");
    let proxy = Proxy::start(origin, Behaviour::Pass);
    let mut command = cli(Some(SENTINEL_KEY));
    command
        .env("http_proxy", proxy.url())
        .args(["--api-url", &server.base_url()])
        .args(CREATE);
    let run = finish(command.spawn().expect("spawn")).expect(0);
    assert_eq!(run.json()["object"], "sign_in_token");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1, "{heads:?}");
    assert!(
        heads[0].starts_with(&format!(
            "POST {}/sign_in_tokens HTTP/1.1",
            server.base_url()
        )),
        "{heads:?}"
    );
}

#[test]
fn a_refusing_proxy_is_exit_3_without_secrets() {
    for (code, scheme_is_https) in [(407, true), (502, true), (407, false)] {
        let proxy = Proxy::start(
            "127.0.0.1:9".parse().expect("addr"),
            Behaviour::Status(code),
        );
        let (variable, url) = if scheme_is_https {
            ("HTTPS_PROXY", "https://127.0.0.1:9/v1")
        } else {
            ("HTTP_PROXY", "http://127.0.0.1:9/v1")
        };
        let mut command = cli(Some(SENTINEL_KEY));
        command
            .env(variable, format!("http://svc:pw-SENTINEL@{}", proxy.addr))
            .args(["--api-url", url, "--max-retries", "0"])
            .args(CREATE);
        let run = finish(command.spawn().expect("spawn")).expect(3);
        let line = run.error_line();
        assert!(line.contains("proxy"), "{line}");
        if code == 407 {
            assert!(line.contains("407"), "{line}");
        }
        assert!(!run.stderr.contains("SENTINEL"), "{}", run.stderr);
        assert!(!run.stdout.contains("SENTINEL"), "{}", run.stdout);
        assert_eq!(proxy.heads().len(), 1);
    }
}

#[test]
fn an_unusable_proxy_variable_is_a_usage_error_naming_it() {
    let mut command = cli(Some(SENTINEL_KEY));
    command
        .env("HTTPS_PROXY", "socks5://svc:pw-SENTINEL@127.0.0.1:1080")
        .args(["--api-url", "https://127.0.0.1:9/v1"])
        .args(CREATE);
    let run = finish(command.spawn().expect("spawn")).expect(2);
    let line = run.error_line();
    assert!(line.contains("HTTPS_PROXY"), "{line}");
    assert!(!run.stderr.contains("SENTINEL"), "{}", run.stderr);
}
