//! What a call ended with, reduced to what the case table states, so that
//! three clients with three error types are judged by one table.

use std::error::Error as StdError;
use std::fmt;

use clerk_core::Error;

/// Why a certificate was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cert {
    /// Valid, but for another name.
    WrongName,
    /// Past its `notAfter`.
    Expired,
    /// Not signed by a trusted root (self-signed, or an unknown CA).
    UnknownIssuer,
}

/// What the case table expects of one client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The call returns the token.
    Success,
    /// A transport deadline ran out.
    Timeout,
    /// The transport refused a body over its cap.
    BodyTooLarge,
    /// The transport saw broken HTTP (head or framing).
    Protocol,
    /// The connection failed mid-exchange (closed early, reset).
    Io,
    /// The TLS handshake failed because of this certificate problem.
    Tls(Cert),
    /// `Error::UnexpectedResponse` with this status, its reason containing
    /// the text.
    Unexpected(u16, &'static str),
    /// `Error::Decode` with this status, its problem containing the text.
    Decode(u16, &'static str),
    /// `Error::Api` with this status and first error code.
    Api(u16, &'static str),
}

/// What a call actually ended with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The token came back.
    Success,
    /// A transport deadline.
    Timeout,
    /// The body cap.
    BodyTooLarge,
    /// Broken HTTP.
    Protocol,
    /// A connection failure mid-exchange.
    Io,
    /// A TLS failure, with the certificate problem when one was found.
    Tls(Option<Cert>),
    /// Could not connect.
    Connect,
    /// `Error::UnexpectedResponse`: status and reason.
    Unexpected(u16, String),
    /// `Error::Decode`: status and problem.
    Decode(u16, String),
    /// `Error::Api`: status and codes.
    Api(u16, Vec<String>),
    /// Anything else, described.
    Other(String),
}

impl Expect {
    /// Whether `outcome` is what this expectation states.
    pub fn matches(&self, outcome: &Outcome) -> bool {
        match (self, outcome) {
            (Expect::Success, Outcome::Success)
            | (Expect::Timeout, Outcome::Timeout)
            | (Expect::BodyTooLarge, Outcome::BodyTooLarge)
            | (Expect::Protocol, Outcome::Protocol)
            | (Expect::Io, Outcome::Io) => true,
            (Expect::Tls(want), Outcome::Tls(got)) => *got == Some(*want),
            (Expect::Unexpected(status, reason), Outcome::Unexpected(s, r))
            | (Expect::Decode(status, reason), Outcome::Decode(s, r)) => {
                status == s && r.contains(reason)
            }
            (Expect::Api(status, code), Outcome::Api(s, codes)) => {
                status == s && codes.first().map(String::as_str) == Some(*code)
            }
            _ => false,
        }
    }
}

impl fmt::Display for Expect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expect::Success => f.write_str("Ok"),
            Expect::Timeout => f.write_str("Transport(Timeout)"),
            Expect::BodyTooLarge => f.write_str("Transport(BodyTooLarge)"),
            Expect::Protocol => f.write_str("Transport(Protocol)"),
            Expect::Io => f.write_str("Transport(Io)"),
            Expect::Tls(cert) => write!(f, "Transport(Tls: {cert:?})"),
            Expect::Unexpected(status, why) => write!(f, "UnexpectedResponse({status}, {why:?})"),
            Expect::Decode(status, why) => write!(f, "Decode({status}, {why:?})"),
            Expect::Api(status, code) => write!(f, "Api({status}, {code})"),
        }
    }
}

/// The outcome of any call: success, a response-level error, or what
/// `transport` makes of the client's own transport error (each transport
/// has its own error type; the rest is the same for every client).
pub fn classify<E>(
    called: &crate::hostile::Called<E>,
    transport: impl FnOnce(&E) -> Outcome,
) -> Outcome {
    match called {
        Ok(_) => Outcome::Success,
        Err(Error::Transport(failure)) => transport(failure.get_ref()),
        Err(error) => of_response_error(error)
            .unwrap_or_else(|| Outcome::Other("an error kind this table does not know".into())),
    }
}

/// The outcome of a response-level error (`Api`, `UnexpectedResponse`,
/// `Decode`, `InvalidInput`); `None` for a transport error, which each
/// client classifies itself.
pub fn of_response_error<E>(error: &Error<E>) -> Option<Outcome> {
    Some(match error {
        Error::Api(api) => Outcome::Api(
            api.status().as_u16(),
            api.errors().iter().map(|e| e.code.clone()).collect(),
        ),
        Error::UnexpectedResponse(u) => {
            Outcome::Unexpected(u.status().as_u16(), u.reason().to_owned())
        }
        Error::Decode(d) => Outcome::Decode(d.status().as_u16(), d.problem().to_owned()),
        Error::Transport(_) => return None,
        Error::InvalidInput(e) => Outcome::Other(format!("invalid input: {e}")),
        _ => Outcome::Other("an error kind this table does not know".to_owned()),
    })
}

/// What the table calls a transport's [`SendError`](clerk_core::SendError):
/// every adapter returns one, so one reading serves them all.
pub fn of_send_error(error: &clerk_core::SendError) -> Outcome {
    use clerk_core::TransportErrorKind as K;
    match error.kind() {
        K::Timeout | K::ConnectTimeout => Outcome::Timeout,
        K::BodyTooLarge => Outcome::BodyTooLarge,
        K::Protocol => Outcome::Protocol,
        K::Io => Outcome::Io,
        K::Connect => Outcome::Connect,
        K::Tls | K::Certificate => Outcome::Tls(cert_problem(error)),
        _ => Outcome::Other(format!("{} ({})", error, error.kind())),
    }
}

/// The certificate problem somewhere below `error`, if rustls reported one.
pub fn cert_problem(error: &(dyn StdError + 'static)) -> Option<Cert> {
    use rustls::CertificateError as C;
    let found = chain(error).find_map(|e| e.downcast_ref::<rustls::Error>())?;
    match found {
        rustls::Error::InvalidCertificate(problem) => match problem {
            C::NotValidForName | C::NotValidForNameContext { .. } => Some(Cert::WrongName),
            C::Expired | C::ExpiredContext { .. } => Some(Cert::Expired),
            C::UnknownIssuer => Some(Cert::UnknownIssuer),
            _ => None,
        },
        _ => None,
    }
}

/// `error` and its causes: clerk-core's walk.
pub use clerk_core::error_chain as chain;

/// Everything an error can show: its `Display`, its `Debug`, and those of
/// every cause.
pub fn everything_shown(error: &(dyn StdError + 'static)) -> String {
    let mut shown = String::new();
    for e in chain(error) {
        shown.push_str(&format!("{e} / {e:?} / "));
    }
    shown
}
