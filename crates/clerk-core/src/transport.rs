//! Moving bytes: the one seam between this crate and the network.
//!
//! A transport takes a fully built [`HttpRequest`] and gives back the whole
//! [`HttpResponse`]. Everything about the network belongs to the transport:
//! DNS, connections and pooling, TLS, HTTP/1 or HTTP/2, timeouts, proxies, and a
//! cap on how much body it is willing to read. Everything about Clerk belongs to
//! this crate: the path, the headers, the JSON, the judgement of the status, and
//! the retry policy. A transport never retries and never follows redirects on
//! its own; the client decides.
//!
//! Two traits, one per calling style:
//!
//! - [`HttpTransport`] for async transports. Its future has **no `Send` bound**,
//!   so a browser `fetch`, a single-threaded runtime or a transport holding an
//!   `Rc` all fit. When the transport's future is `Send`, so are the client's.
//! - [`BlockingHttpTransport`] for synchronous transports (an existing blocking
//!   HTTP stack, a WASI host call).
//!
//! Closures become transports with [`transport_fn`] and [`blocking_transport_fn`].
//! References, `Arc`s and `Box`es of transports are transports too.
//!
//! Errors implement [`TransportError`], whose [kind](TransportErrorKind)
//! tells the retry policy what only the transport knows: whether the request
//! is known **not** to have been sent (for example the connection was
//! refused). Create is not idempotent, so the client retries a failed create
//! only when that is known. Every adapter crate returns [`SendError`](crate::SendError).
//!
//! # Credential hygiene
//!
//! The request carries the secret key in `Authorization`, marked
//! [sensitive](http::HeaderValue::set_sensitive). A transport must not log
//! request headers or response bodies (the body of a successful response holds
//! the sign-in token and its url), and its error messages must not quote them.

use std::error::Error as StdError;
use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::failure_kind::TransportErrorKind;

/// The request a transport sends: an [`http::Request`] with the whole body in
/// [`Bytes`].
pub type HttpRequest = http::Request<Bytes>;

/// The response a transport returns: an [`http::Response`] with the whole body
/// in [`Bytes`].
pub type HttpResponse = http::Response<Bytes>;

/// What a transport failure must tell the client beyond its message: its
/// [kind](TransportErrorKind), from which the retry policy reads whether the
/// request was sent, whether it was a timeout, and whether sending again can
/// help.
///
/// Implement [`kind`](Self::kind) for your transport's error type; the three
/// answers follow from the kind's table, written once in
/// [`TransportErrorKind`]. The default kind is
/// [`Other`](TransportErrorKind::Other), the conservative answer: a create
/// that failed in an unknown way is not retried, because it may have reached
/// Clerk. Or use [`SendError`](crate::SendError), which carries a kind.
///
/// ```
/// use clerk_core::{TransportError, TransportErrorKind};
///
/// #[derive(Debug)]
/// enum MyError { Refused, Reset }
/// impl std::fmt::Display for MyError {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str(match self { MyError::Refused => "connection refused", MyError::Reset => "reset" })
///     }
/// }
/// impl std::error::Error for MyError {}
/// impl TransportError for MyError {
///     fn kind(&self) -> TransportErrorKind {
///         match self {
///             MyError::Refused => TransportErrorKind::Connect,
///             MyError::Reset => TransportErrorKind::Io,
///         }
///     }
/// }
/// assert!(MyError::Refused.is_request_not_sent());
/// assert!(!MyError::Reset.is_timeout());
/// ```
pub trait TransportError: StdError + 'static {
    /// What kind of failure this is. Default:
    /// [`Other`](TransportErrorKind::Other) (may have been sent, not a
    /// timeout, worth retrying where the operation allows).
    fn kind(&self) -> TransportErrorKind {
        TransportErrorKind::Other
    }

    /// `true` when the transport knows that no byte of the request reached
    /// the server (DNS failure, connection refused, TLS handshake failure, a
    /// connect timeout). Such a failure is safe to retry for any operation.
    /// Default: the [kind](Self::kind)'s answer.
    fn is_request_not_sent(&self) -> bool {
        self.kind().is_request_not_sent()
    }

    /// `true` when the failure was a timeout. Default: the
    /// [kind](Self::kind)'s answer.
    fn is_timeout(&self) -> bool {
        self.kind().is_timeout()
    }

    /// `true` when sending again cannot help: the transport refused the
    /// request by rule (a cleartext URL to a remote host, a malformed request)
    /// or the peer's certificate was rejected. The client then returns at once
    /// instead of retrying. Default: the [kind](Self::kind)'s answer.
    fn is_permanent(&self) -> bool {
        self.kind().is_permanent()
    }
}

impl TransportError for std::io::Error {
    fn kind(&self) -> TransportErrorKind {
        use std::io::ErrorKind::*;
        match std::io::Error::kind(self) {
            ConnectionRefused | AddrNotAvailable | NotConnected => TransportErrorKind::Connect,
            TimedOut => TransportErrorKind::Timeout,
            ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof => {
                TransportErrorKind::Io
            }
            InvalidData => TransportErrorKind::Protocol,
            _ => TransportErrorKind::Other,
        }
    }
}

impl TransportError for std::convert::Infallible {
    fn kind(&self) -> TransportErrorKind {
        match *self {}
    }
}

/// An async HTTP transport: sends one request, returns the whole response.
///
/// The returned future has no `Send` bound. The client's futures are `Send`
/// exactly when this future (and the timer's) are.
///
/// ```
/// use clerk_core::{SendError, HttpRequest, HttpResponse, HttpTransport};
///
/// struct Canned;
/// impl HttpTransport for Canned {
///     type Error = SendError;
///     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, Self::Error> {
///         Ok(http::Response::new(bytes::Bytes::from_static(b"{}")))
///     }
/// }
/// let response = futures_executor::block_on(Canned.send(http::Request::new(bytes::Bytes::new())));
/// assert_eq!(response.unwrap().body().as_ref(), b"{}");
/// ```
pub trait HttpTransport {
    /// The transport's failure.
    type Error: TransportError;

    /// Sends `request` and resolves to the complete response, whatever its
    /// status. Only a failure to get a response is an `Err`.
    fn send(&self, request: HttpRequest)
    -> impl Future<Output = Result<HttpResponse, Self::Error>>;

    /// Sends `request` as [`send`](Self::send) does, ending the attempt (as
    /// a [`Timeout`](crate::TransportErrorKind::Timeout)) once `remaining`
    /// has passed: what is left of the client's whole-call deadline, when
    /// it has one. The client calls this method.
    ///
    /// The default ignores `remaining` and calls `send`: the client then
    /// keeps its call deadline between attempts only. Every adapter crate
    /// implements it, shortening its own attempt deadline to `remaining`
    /// ([`TransportLimits::attempt_timeout`](crate::TransportLimits::attempt_timeout)).
    ///
    /// ```
    /// use std::time::Duration;
    /// use clerk_core::{HttpRequest, HttpResponse, HttpTransport, SendError};
    ///
    /// struct Canned;
    /// impl HttpTransport for Canned {
    ///     type Error = SendError;
    ///     async fn send(&self, request: HttpRequest) -> Result<HttpResponse, SendError> {
    ///         self.send_within(request, None).await
    ///     }
    ///     async fn send_within(&self, _request: HttpRequest, remaining: Option<Duration>) -> Result<HttpResponse, SendError> {
    ///         match remaining {
    ///             Some(left) if left.is_zero() => Err(SendError::timeout(Some(left))),
    ///             _ => Ok(http::Response::new(bytes::Bytes::new())),
    ///         }
    ///     }
    /// }
    /// let request = || http::Request::new(bytes::Bytes::new());
    /// assert!(futures_executor::block_on(Canned.send_within(request(), Some(Duration::ZERO))).is_err());
    /// assert!(futures_executor::block_on(Canned.send(request())).is_ok());
    /// ```
    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> impl Future<Output = Result<HttpResponse, Self::Error>> {
        let _ = remaining;
        self.send(request)
    }
}

/// A synchronous HTTP transport, for the blocking client.
///
/// ```
/// use clerk_core::{BlockingHttpTransport, SendError, HttpRequest, HttpResponse, TransportErrorKind};
///
/// struct Refusing;
/// impl BlockingHttpTransport for Refusing {
///     type Error = SendError;
///     fn send(&self, _request: HttpRequest) -> Result<HttpResponse, Self::Error> {
///         Err(SendError::new(TransportErrorKind::Connect, "connection refused"))
///     }
/// }
/// assert!(Refusing.send(http::Request::new(bytes::Bytes::new())).is_err());
/// ```
pub trait BlockingHttpTransport {
    /// The transport's failure.
    type Error: TransportError;

    /// Sends `request` and returns the complete response, whatever its status.
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error>;

    /// Sends `request`, ending the attempt once `remaining` (what is left of
    /// the client's whole-call deadline) has passed; see
    /// [`HttpTransport::send_within`]. The default ignores `remaining`.
    ///
    /// ```
    /// use clerk_core::{blocking_transport_fn, BlockingHttpTransport};
    /// let transport = blocking_transport_fn(|_request| {
    ///     Ok::<_, std::io::Error>(http::Response::new(bytes::Bytes::new()))
    /// });
    /// let response = transport.send_within(http::Request::new(bytes::Bytes::new()), None);
    /// assert!(response.is_ok());
    /// ```
    fn send_within(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> Result<HttpResponse, Self::Error> {
        let _ = remaining;
        self.send(request)
    }
}

macro_rules! forward_transports {
    ($($ptr:ty),*) => {$(
        impl<T: HttpTransport + ?Sized> HttpTransport for $ptr {
            type Error = T::Error;
            fn send(
                &self,
                request: HttpRequest,
            ) -> impl Future<Output = Result<HttpResponse, Self::Error>> {
                (**self).send(request)
            }
            fn send_within(
                &self,
                request: HttpRequest,
                remaining: Option<Duration>,
            ) -> impl Future<Output = Result<HttpResponse, Self::Error>> {
                (**self).send_within(request, remaining)
            }
        }

        impl<T: BlockingHttpTransport + ?Sized> BlockingHttpTransport for $ptr {
            type Error = T::Error;
            fn send(&self, request: HttpRequest) -> Result<HttpResponse, Self::Error> {
                (**self).send(request)
            }
            fn send_within(
                &self,
                request: HttpRequest,
                remaining: Option<Duration>,
            ) -> Result<HttpResponse, Self::Error> {
                (**self).send_within(request, remaining)
            }
        }
    )*};
}

forward_transports!(&T, Arc<T>, Box<T>, std::rc::Rc<T>);

/// The boxed future a [`DynHttpTransport`] returns.
pub type BoxedResponseFuture<'a, E> =
    std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, E>> + 'a>>;

/// The object-safe twin of [`HttpTransport`]: the same call with a boxed
/// future, so transports can be chosen at run time and kept as
/// `Box<dyn DynHttpTransport<Error = E>>` or `Arc<dyn …>` (plugin-style
/// stacks, middleware that wraps "some transport").
///
/// Every [`HttpTransport`] is one, through a blanket impl; and the trait
/// object is an [`HttpTransport`] again, so a `Box` or `Arc` of it plugs into
/// [`Client`](crate::Client) like any other transport. The cost is one
/// allocation per request for the box. Like [`HttpTransport`]'s, the boxed
/// future has no `Send` bound, so the client's futures over a trait object
/// are not `Send`: for a transport chosen at run time in a multi-threaded
/// service, use [`SendDynHttpTransport`].
///
/// ```
/// use std::sync::Arc;
/// use clerk_core::test_util::MockTransport;
/// use clerk_core::{Client, CreateSignInTokenRequest, DynHttpTransport, SecretKey};
///
/// let mock = Arc::new(MockTransport::new());
/// mock.push_json(200, r#"{"object":"sign_in_token","id":"sit_1","status":"pending","user_id":"u","created_at":1,"updated_at":1}"#);
/// let transport: Arc<dyn DynHttpTransport<Error = _>> = mock.clone();
/// let client = Client::builder(SecretKey::new("sk_test_x").unwrap())
///     .without_retries()
///     .build(transport)
///     .unwrap();
/// let token = futures_executor::block_on(
///     client.create_sign_in_token(&CreateSignInTokenRequest::new("u")),
/// ).unwrap();
/// assert_eq!(token.id, "sit_1");
///
/// // Chosen at run time, shareable across threads.
/// let transports: Vec<Box<dyn DynHttpTransport<Error = _> + Send + Sync>> =
///     vec![Box::new(mock.clone()), Box::new(mock)];
/// for transport in transports {
///     let client = Client::builder(SecretKey::new("sk_test_x").unwrap()).without_retries().build(transport);
///     assert!(client.is_ok());
/// }
/// ```
pub trait DynHttpTransport {
    /// The transport's failure.
    type Error: TransportError;

    /// [`HttpTransport::send`], boxed.
    ///
    /// See [`DynHttpTransport`] for an example.
    fn send_boxed(&self, request: HttpRequest) -> BoxedResponseFuture<'_, Self::Error>;

    /// [`HttpTransport::send_within`], boxed.
    ///
    /// See [`DynHttpTransport`] for an example.
    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> BoxedResponseFuture<'_, Self::Error>;
}

impl<T: HttpTransport> DynHttpTransport for T {
    type Error = T::Error;
    fn send_boxed(&self, request: HttpRequest) -> BoxedResponseFuture<'_, Self::Error> {
        Box::pin(self.send(request))
    }
    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> BoxedResponseFuture<'_, Self::Error> {
        Box::pin(self.send_within(request, remaining))
    }
}

macro_rules! transport_objects {
    ($($bounds:tt)*) => {
        impl<E: TransportError> HttpTransport for dyn DynHttpTransport<Error = E> $($bounds)* {
            type Error = E;
            fn send(
                &self,
                request: HttpRequest,
            ) -> impl Future<Output = Result<HttpResponse, Self::Error>> {
                self.send_boxed(request)
            }
            fn send_within(
                &self,
                request: HttpRequest,
                remaining: Option<Duration>,
            ) -> impl Future<Output = Result<HttpResponse, Self::Error>> {
                self.send_within_boxed(request, remaining)
            }
        }
    };
}

transport_objects!(+ '_);
transport_objects!(+ Send + '_);
transport_objects!(+ Send + Sync + '_);

/// The boxed, `Send` future a [`SendDynHttpTransport`] returns.
pub type BoxedSendResponseFuture<'a, E = crate::SendError> =
    std::pin::Pin<Box<dyn Future<Output = Result<HttpResponse, E>> + Send + 'a>>;

/// The object-safe, thread-safe twin of [`HttpTransport`]: a transport
/// chosen at run time whose futures are `Send`, kept as
/// `Arc<dyn SendDynHttpTransport + Send + Sync>` and used from
/// `tokio::spawn`, an axum handler or any multi-threaded runtime.
///
/// [`DynHttpTransport`] boxes futures without a `Send` bound, so a client
/// over it cannot cross threads. This trait's boxed futures are `Send`, and
/// its trait object is an [`HttpTransport`] whose futures are `Send` too, so
/// the futures of a [`Client`](crate::Client) over an `Arc` of it are.
///
/// Its error is [`SendError`](crate::SendError), the one every adapter crate returns (a
/// transport with another error maps it, as [`SendBoxed`]'s closure may).
/// Why not an associated `Error` as in [`DynHttpTransport`]: the object's
/// type would then name `SendError`'s `dyn Error + Send + Sync` source, and
/// rustc, which checks a spawned future for `Send` with lifetimes erased,
/// then refuses the `'static` that type needs ("implementation is not
/// general enough").
///
/// There is no blanket impl over every `HttpTransport + Send + Sync`: that
/// its future is `Send` cannot be written as a bound on stable Rust (it
/// needs return-type notation). Each transport whose futures are `Send`
/// implements it by boxing its own futures: clerk-hyper's `HyperTransport`
/// and clerk-tower's `TowerTransport` (on tokio) do, and your own is as
/// short as this example. For a transport that does not, [`SendBoxed`] does
/// the same from one closure.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use clerk_core::{
///     BoxedSendResponseFuture, Client, HttpRequest, HttpResponse, HttpTransport, SecretKey,
///     SendDynHttpTransport, SendError,
/// };
///
/// struct Canned;
/// impl HttpTransport for Canned {
///     type Error = SendError;
///     async fn send(&self, _request: HttpRequest) -> Result<HttpResponse, SendError> {
///         Ok(http::Response::new(bytes::Bytes::from_static(br#"{"object":"sign_in_token","id":"sit_1","status":"revoked","user_id":"u","created_at":1,"updated_at":1}"#)))
///     }
/// }
/// impl SendDynHttpTransport for Canned {
///     fn send_boxed(&self, request: HttpRequest) -> BoxedSendResponseFuture<'_> {
///         Box::pin(self.send(request))
///     }
///     fn send_within_boxed(&self, request: HttpRequest, remaining: Option<Duration>) -> BoxedSendResponseFuture<'_> {
///         Box::pin(self.send_within(request, remaining))
///     }
/// }
///
/// // Picked at run time, shared across threads.
/// let transport: Arc<dyn SendDynHttpTransport + Send + Sync> = Arc::new(Canned);
/// let client = Client::builder(SecretKey::new("sk_test_x")?).without_retries().build(transport)?;
/// fn assert_send<T: Send>(t: T) -> T { t }
/// let revoked = futures_executor::block_on(assert_send(client.revoke_sign_in_token("sit_1")))?;
/// assert_eq!(revoked.sign_in_token_id(), "sit_1");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SendDynHttpTransport: Send + Sync {
    /// [`HttpTransport::send`], boxed and `Send`.
    ///
    /// See [`SendDynHttpTransport`] for an example.
    fn send_boxed(&self, request: HttpRequest) -> BoxedSendResponseFuture<'_>;

    /// [`HttpTransport::send_within`], boxed and `Send`.
    ///
    /// See [`SendDynHttpTransport`] for an example.
    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> BoxedSendResponseFuture<'_>;
}

macro_rules! forward_send_dyn {
    ($($ptr:ty),*) => {$(
        impl<T: SendDynHttpTransport + ?Sized> SendDynHttpTransport for $ptr {
            fn send_boxed(&self, request: HttpRequest) -> BoxedSendResponseFuture<'_> {
                (**self).send_boxed(request)
            }
            fn send_within_boxed(
                &self,
                request: HttpRequest,
                remaining: Option<Duration>,
            ) -> BoxedSendResponseFuture<'_> {
                (**self).send_within_boxed(request, remaining)
            }
        }
    )*};
}

forward_send_dyn!(&T, Arc<T>, Box<T>);

macro_rules! send_transport_objects {
    ($($bounds:tt)*) => {
        impl HttpTransport for dyn SendDynHttpTransport $($bounds)* {
            type Error = crate::SendError;
            // The boxed futures are `Send`; say so for the client's futures.
            #[allow(refining_impl_trait)]
            fn send(
                &self,
                request: HttpRequest,
            ) -> impl Future<Output = Result<HttpResponse, crate::SendError>> + Send {
                self.send_boxed(request)
            }
            #[allow(refining_impl_trait)]
            fn send_within(
                &self,
                request: HttpRequest,
                remaining: Option<Duration>,
            ) -> impl Future<Output = Result<HttpResponse, crate::SendError>> + Send {
                self.send_within_boxed(request, remaining)
            }
        }
    };
}

send_transport_objects!(+ '_);
send_transport_objects!(+ Send + '_);
send_transport_objects!(+ Send + Sync + '_);

/// The boxing function a [`SendBoxed`] keeps: the transport's
/// `send_within`, boxed as a `Send` future.
pub type SendBoxer<T> =
    for<'a> fn(&'a T, HttpRequest, Option<Duration>) -> BoxedSendResponseFuture<'a>;

/// Any transport whose futures are `Send`, made a [`SendDynHttpTransport`]
/// by one closure written where its type is known:
/// `|t, request, remaining| Box::pin(t.send_within(request, remaining))`.
/// The compiler checks there that the future is `Send`, which a generic
/// impl cannot. A transport that implements [`SendDynHttpTransport`] itself
/// needs none.
///
/// ```
/// use std::sync::Arc;
/// use clerk_core::{transport_fn, HttpTransport, SendBoxed, SendDynHttpTransport, SendError};
///
/// let transport = transport_fn(|_request| async {
///     Ok::<_, SendError>(http::Response::new(bytes::Bytes::new()))
/// });
/// let shared: Arc<dyn SendDynHttpTransport + Send + Sync> =
///     Arc::new(SendBoxed::new(transport, |t, request, remaining| {
///         Box::pin(t.send_within(request, remaining))
///     }));
/// let response = futures_executor::block_on(shared.send_boxed(http::Request::new(bytes::Bytes::new())));
/// assert!(response.is_ok());
/// ```
pub struct SendBoxed<T> {
    transport: T,
    boxer: SendBoxer<T>,
}

impl<T> SendBoxed<T> {
    /// `transport`, whose futures `boxer` boxes.
    ///
    /// See [`SendBoxed`] for an example.
    pub fn new(transport: T, boxer: SendBoxer<T>) -> Self {
        Self { transport, boxer }
    }

    /// The transport inside.
    ///
    /// ```
    /// use clerk_core::{transport_fn, HttpTransport, SendBoxed, SendError};
    /// let t = transport_fn(|_r| async { Ok::<_, SendError>(http::Response::new(bytes::Bytes::new())) });
    /// let boxed = SendBoxed::new(t, |t, r, d| Box::pin(t.send_within(r, d)));
    /// let _inner = boxed.get_ref();
    /// ```
    pub fn get_ref(&self) -> &T {
        &self.transport
    }
}

impl<T: fmt::Debug> fmt::Debug for SendBoxed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SendBoxed").field(&self.transport).finish()
    }
}

impl<T: Send + Sync> SendDynHttpTransport for SendBoxed<T> {
    fn send_boxed(&self, request: HttpRequest) -> BoxedSendResponseFuture<'_> {
        (self.boxer)(&self.transport, request, None)
    }
    fn send_within_boxed(
        &self,
        request: HttpRequest,
        remaining: Option<Duration>,
    ) -> BoxedSendResponseFuture<'_> {
        (self.boxer)(&self.transport, request, remaining)
    }
}

/// An async transport made from a closure; see [`transport_fn`].
#[derive(Clone, Copy)]
pub struct TransportFn<F>(F);

impl<F> fmt::Debug for TransportFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransportFn")
    }
}

/// Turns `f(request) -> impl Future<Output = Result<HttpResponse, E>>` into an
/// [`HttpTransport`].
///
/// ```
/// use clerk_core::{transport_fn, SendError, HttpTransport};
///
/// let transport = transport_fn(|request: clerk_core::HttpRequest| async move {
///     assert_eq!(request.method(), http::Method::POST);
///     Ok::<_, SendError>(http::Response::new(bytes::Bytes::new()))
/// });
/// let request = http::Request::post("/").body(bytes::Bytes::new()).unwrap();
/// assert!(futures_executor::block_on(transport.send(request)).is_ok());
/// ```
pub fn transport_fn<F, Fut, E>(f: F) -> TransportFn<F>
where
    F: Fn(HttpRequest) -> Fut,
    Fut: Future<Output = Result<HttpResponse, E>>,
    E: TransportError,
{
    TransportFn(f)
}

impl<F, Fut, E> HttpTransport for TransportFn<F>
where
    F: Fn(HttpRequest) -> Fut,
    Fut: Future<Output = Result<HttpResponse, E>>,
    E: TransportError,
{
    type Error = E;
    fn send(&self, request: HttpRequest) -> impl Future<Output = Result<HttpResponse, E>> {
        (self.0)(request)
    }
}

/// A blocking transport made from a closure; see [`blocking_transport_fn`].
#[derive(Clone, Copy)]
pub struct BlockingTransportFn<F>(F);

impl<F> fmt::Debug for BlockingTransportFn<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlockingTransportFn")
    }
}

/// Turns `f(request) -> Result<HttpResponse, E>` into a
/// [`BlockingHttpTransport`].
///
/// ```
/// use clerk_core::{blocking_transport_fn, BlockingHttpTransport};
///
/// let transport = blocking_transport_fn(|_request| {
///     Ok::<_, std::io::Error>(http::Response::new(bytes::Bytes::from_static(b"ok")))
/// });
/// let response = transport.send(http::Request::new(bytes::Bytes::new())).unwrap();
/// assert_eq!(response.body().as_ref(), b"ok");
/// ```
pub fn blocking_transport_fn<F, E>(f: F) -> BlockingTransportFn<F>
where
    F: Fn(HttpRequest) -> Result<HttpResponse, E>,
    E: TransportError,
{
    BlockingTransportFn(f)
}

impl<F, E> BlockingHttpTransport for BlockingTransportFn<F>
where
    F: Fn(HttpRequest) -> Result<HttpResponse, E>,
    E: TransportError,
{
    type Error = E;
    fn send(&self, request: HttpRequest) -> Result<HttpResponse, E> {
        (self.0)(request)
    }
}
