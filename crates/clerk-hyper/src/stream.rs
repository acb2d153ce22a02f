//! What a connected stream must say about itself: whether it is TLS.
//!
//! The cleartext rule (clerk-core's
//! [`Destination::check_stream`](clerk_core::Destination::check_stream))
//! needs the answer before a byte of an `https` request is written, and
//! only the connector that opened the stream knows it. So every stream a
//! connector hands this transport implements [`IsTls`].

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};

/// A connected stream that says whether it is encrypted with TLS.
///
/// Implemented for the streams of hyper-util's and hyper-rustls's
/// connectors (`TokioIo<TcpStream>` is not TLS; a `MaybeHttpsStream` is when
/// it is its `Https` variant), for [`Plain`], and for your own stream types:
///
/// ```
/// struct MyTcp; // a runtime's TCP stream, adapted to hyper's IO traits
/// impl clerk_hyper::IsTls for MyTcp {
///     fn is_tls(&self) -> bool {
///         false // plain TCP: https requests over it are refused
///     }
/// }
/// ```
///
/// Answer `true` only for a stream that really is TLS to the request's
/// host: an `https` request (and the secret key in it) is sent over any
/// stream that says so.
pub trait IsTls {
    /// `true` when the bytes written to this stream are encrypted with TLS.
    ///
    /// See [`IsTls`] for an example.
    fn is_tls(&self) -> bool;
}

/// A stream that is not TLS, marked so: plain TCP from a connector of your
/// own. An `https` request over it is refused before a byte is written
/// (plain `http` to a loopback mock works).
///
/// ```
/// use clerk_hyper::{IsTls, Plain};
/// # struct Tcp;
/// let stream = Plain(Tcp);
/// assert!(!stream.is_tls());
/// ```
#[derive(Debug)]
pub struct Plain<T>(pub T);

impl<T> IsTls for Plain<T> {
    fn is_tls(&self) -> bool {
        false
    }
}

impl<T: Read + Unpin> Read for Plain<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl<T: Write + Unpin> Write for Plain<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.0).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

#[cfg(feature = "tokio")]
impl<T: hyper_util::client::legacy::connect::Connection>
    hyper_util::client::legacy::connect::Connection for Plain<T>
{
    fn connected(&self) -> hyper_util::client::legacy::connect::Connected {
        self.0.connected()
    }
}

/// hyper-util's `HttpConnector` stream: plain TCP.
#[cfg(feature = "tokio")]
impl IsTls for hyper_util::rt::TokioIo<tokio::net::TcpStream> {
    fn is_tls(&self) -> bool {
        false
    }
}

/// hyper-rustls's stream: TLS in its `Https` variant.
#[cfg(feature = "rustls")]
impl<T> IsTls for hyper_rustls::MaybeHttpsStream<T> {
    fn is_tls(&self) -> bool {
        matches!(self, hyper_rustls::MaybeHttpsStream::Https(_))
    }
}

impl<T: IsTls + ?Sized> IsTls for Box<T> {
    fn is_tls(&self) -> bool {
        (**self).is_tls()
    }
}
