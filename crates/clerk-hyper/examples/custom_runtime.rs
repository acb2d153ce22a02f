//! clerk-hyper on a runtime that is not tokio: smol.
//!
//! The transport needs three things from a runtime, all through hyper's `rt`
//! traits: a connector whose streams implement `hyper::rt::Read + Write`
//! (and say whether they are TLS, `clerk_hyper::IsTls`), an executor for
//! hyper's connection tasks, and a `hyper::rt::Timer` for the timeouts.
//! clerk-core's client needs one more: a `clerk_core::Timer` to wait between
//! retries. This example writes the four small adapters for smol, then
//! creates a sign-in token against a stand-in for Clerk on 127.0.0.1 (a
//! plain thread with a std `TcpListener`), so it runs offline:
//!
//! ```text
//! cargo run -p clerk-hyper --example custom_runtime
//! ```
//!
//! None of it uses the `tokio` feature: with `default-features = false`
//! the same code builds without tokio's runtime.
//!
//! The connector opens plain TCP, and its stream says so (`IsTls`): good for
//! the loopback stand-in over `http://`. Pointed at Clerk's `https://` API,
//! the transport refuses to send over it (kind `InsecureScheme`, before a
//! byte is written) instead of putting the secret key on the wire in
//! cleartext; a real deployment wraps the stream in TLS (futures-rustls, for
//! one) and answers `true`.

use std::future::Future;
use std::io::{self, Read as _, Write as _};
use std::net::TcpListener;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use clerk_core::{Client, CreateSignInTokenRequest, SecretKey};
use clerk_hyper::{BoxFuture, HyperTransport, IsTls, connect_fn};
use hyper::rt::ReadBufCursor;
use smol::io::{AsyncRead, AsyncWrite};

/// A smol TCP stream seen through hyper's IO traits.
struct SmolIo(smol::net::TcpStream);

impl hyper::rt::Read for SmolIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        // Read into a stack buffer and copy: no unsafe needed.
        let mut scratch = [0u8; 8 * 1024];
        let want = buf.remaining().min(scratch.len());
        match Pin::new(&mut self.0).poll_read(cx, &mut scratch[..want]) {
            Poll::Ready(Ok(n)) => {
                buf.put_slice(&scratch[..n]);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// Plain TCP: the transport refuses to send an `https` request over it.
impl IsTls for SmolIo {
    fn is_tls(&self) -> bool {
        false
    }
}

impl hyper::rt::Write for SmolIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_close(cx)
    }
}

/// Runs hyper's connection tasks on smol's global executor.
struct SmolExecutor;

impl hyper::rt::Executor<BoxFuture> for SmolExecutor {
    fn execute(&self, fut: BoxFuture) {
        smol::spawn(fut).detach();
    }
}

/// smol's timer for hyper (the transport's timeouts)...
struct SmolTimer;

struct SmolSleep(smol::Timer);

impl Future for SmolSleep {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        Pin::new(&mut self.0).poll(cx).map(|_fired_at| ())
    }
}

impl hyper::rt::Sleep for SmolSleep {}

impl hyper::rt::Timer for SmolTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::after(duration)))
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(SmolSleep(smol::Timer::at(deadline)))
    }
}

/// ...and for clerk-core (the client's pauses between retries).
impl clerk_core::Timer for SmolTimer {
    async fn sleep(&self, duration: Duration) {
        smol::Timer::after(duration).await;
    }
}

/// A stand-in for Clerk: answers one `POST /v1/sign_in_tokens` on loopback.
fn fake_clerk() -> io::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base_url = format!("http://{}/v1", listener.local_addr()?);
    std::thread::spawn(move || -> io::Result<()> {
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        // Read the head (enough for this demo: the body is small and arrives
        // with it or right after; we answer regardless).
        let mut seen = Vec::new();
        let mut chunk = [0u8; 4096];
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut chunk)?;
            if n == 0 {
                return Ok(());
            }
            seen.extend_from_slice(&chunk[..n]);
        }
        let head = String::from_utf8_lossy(&seen);
        let request_line = head.lines().next().unwrap_or_default().to_owned();
        eprintln!("fake Clerk got: {request_line}");
        let body = r#"{"object":"sign_in_token","id":"sit_example","status":"pending","user_id":"user_123","token":"eyJ.example.token","url":"https://accounts.example/sign-in?__clerk_ticket=eyJ.example.token","created_at":1700000000000,"updated_at":1700000000000}"#;
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
            body.len(),
            body
        )?;
        stream.flush()
    });
    Ok(base_url)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = fake_clerk()?;

    let connector = connect_fn(|uri: http::Uri| async move {
        let host = uri.host().unwrap_or_default();
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = clerk_hyper::default_port(&uri);
        let stream = smol::net::TcpStream::connect((host.as_str(), port)).await?;
        Ok::<_, io::Error>(SmolIo(stream))
    });
    let transport = HyperTransport::builder()
        .request_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(2))
        .build_with_runtime(connector, SmolExecutor, SmolTimer);

    let client = Client::builder(SecretKey::new("sk_test_example_only")?)
        .base_url(base_url)
        .timer(SmolTimer)
        .build(transport)?;

    smol::block_on(async {
        let token = client
            .create_sign_in_token(&CreateSignInTokenRequest::new("user_123"))
            .await?;
        println!(
            "created {} for {} ({:?})",
            token.id, token.user_id, token.status
        );
        Ok(())
    })
}
