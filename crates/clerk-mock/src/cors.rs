//! CORS for one configured origin, so browser pages and web workers served
//! from that origin can call the mock directly (off by default).

use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ACCESS_CONTROL_REQUEST_METHOD, ORIGIN,
    VARY,
};
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};

use crate::body::MockBody;

/// The request headers a client of the API (and of the admin interface)
/// sends.
const ALLOW_HEADERS: HeaderValue =
    HeaderValue::from_static("authorization, content-type, accept, clerk-api-version, user-agent");
/// The methods of the API and the admin interface.
const ALLOW_METHODS: HeaderValue = HeaderValue::from_static("POST, GET, DELETE");
/// The response headers a client reads beyond the CORS-safelisted ones.
const EXPOSE_HEADERS: HeaderValue = HeaderValue::from_static("clerk-trace-id, retry-after, allow");
const MAX_AGE: HeaderValue = HeaderValue::from_static("600");

/// The origin allowed to call the mock: an exact `Origin` header value, or
/// `*` for any. A string no `Origin` header can carry matches nothing.
#[derive(Debug, Clone)]
pub(crate) struct Cors {
    origin: String,
}

impl Cors {
    pub(crate) fn new(origin: &str) -> Self {
        Self {
            origin: origin.to_owned(),
        }
    }

    /// The value of `Access-Control-Allow-Origin` for a request with these
    /// headers, when its `Origin` is the allowed one.
    fn allowed(&self, headers: &HeaderMap) -> Option<HeaderValue> {
        let origin = headers.get(ORIGIN)?;
        if self.origin == "*" {
            Some(HeaderValue::from_static("*"))
        } else if self.origin.as_bytes() == origin.as_bytes() {
            Some(origin.clone())
        } else {
            None
        }
    }

    /// The answer to a preflight (`OPTIONS` with `Origin` and
    /// `Access-Control-Request-Method`) from the allowed origin; `None` for
    /// any other request, which is then served as usual.
    pub(crate) fn preflight(
        &self,
        method: &Method,
        headers: &HeaderMap,
    ) -> Option<Response<MockBody>> {
        if method != Method::OPTIONS || !headers.contains_key(ACCESS_CONTROL_REQUEST_METHOD) {
            return None;
        }
        let allow_origin = self.allowed(headers)?;
        let mut response = Response::new(MockBody::full(bytes::Bytes::new()));
        *response.status_mut() = StatusCode::NO_CONTENT;
        let h = response.headers_mut();
        h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
        h.insert(ACCESS_CONTROL_ALLOW_METHODS, ALLOW_METHODS);
        h.insert(ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS);
        h.insert(ACCESS_CONTROL_MAX_AGE, MAX_AGE);
        h.insert(VARY, HeaderValue::from_static("origin"));
        Some(response)
    }

    /// Adds `Access-Control-Allow-Origin` and `-Expose-Headers` to a
    /// response when the request came from the allowed origin.
    pub(crate) fn decorate(&self, request: &HeaderMap, response: &mut HeaderMap) {
        if let Some(allow_origin) = self.allowed(request) {
            response.insert(ACCESS_CONTROL_ALLOW_ORIGIN, allow_origin);
            response.insert(ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSE_HEADERS);
            response.insert(VARY, HeaderValue::from_static("origin"));
        }
    }
}
