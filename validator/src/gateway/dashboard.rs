//! The dashboard: a static page (`validator/dashboard/`, compiled into the binary) served at
//! `GET /dashboard` on the gateway's address, which reads everything it shows through the
//! gateway's own read-only methods over a WebSocket to the same address.
//!
//! [`DashboardLayer`] is an HTTP middleware in front of jsonrpsee: a `GET` or `HEAD` of one
//! of [`ASSETS`]' paths is answered here; everything else (JSON-RPC posts, WebSocket
//! upgrades) goes on. Each page request is admitted like a call (the client's token bucket
//! and calls in flight) and counts as the connection's activity, after the `Host`/`Origin`
//! checks the gateway applies to every request. The answers carry a strict
//! `Content-Security-Policy`: the page runs only its own script, and connects only to the
//! gateway it came from.

use std::{
    net::IpAddr,
    sync::Arc,
    task::{Context, Poll},
    time::Instant,
};

use futures::{future::BoxFuture, FutureExt};
use http::{header, HeaderValue, Method, StatusCode};
use jsonrpsee::server::{HttpBody, HttpRequest, HttpResponse};

use super::{
    client::{Activity, Client},
    limits::{ClientKey, ClientLimits},
};

/// The page's files: path, content type, text.
pub(crate) const ASSETS: [(&str, &str, &str); 4] = [
    (
        "/dashboard",
        "text/html; charset=utf-8",
        include_str!("../../dashboard/index.html"),
    ),
    (
        "/dashboard/",
        "text/html; charset=utf-8",
        include_str!("../../dashboard/index.html"),
    ),
    (
        "/dashboard/dashboard.js",
        "text/javascript; charset=utf-8",
        include_str!("../../dashboard/dashboard.js"),
    ),
    (
        "/dashboard/dashboard.css",
        "text/css; charset=utf-8",
        include_str!("../../dashboard/dashboard.css"),
    ),
];

/// Scripts and styles from this address only; JSON-RPC (fetch and WebSocket) to it only.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The asset at `path`, if it is one.
fn asset(path: &str) -> Option<(&'static str, &'static str)> {
    ASSETS
        .iter()
        .find(|(p, _, _)| *p == path)
        .map(|(_, kind, text)| (*kind, *text))
}

/// The answer to a request for an asset of type `kind` with `body`.
fn response(status: StatusCode, kind: &'static str, body: HttpBody) -> HttpResponse {
    let mut response = HttpResponse::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Serves [`ASSETS`] in front of the JSON-RPC service; see the module docs.
#[derive(Clone)]
pub(super) struct DashboardLayer {
    pub(super) peer: IpAddr,
    pub(super) limits: Arc<ClientLimits>,
    pub(super) activity: Arc<Activity>,
}

impl<S> tower::Layer<S> for DashboardLayer {
    type Service = Dashboard<S>;

    fn layer(&self, inner: S) -> Dashboard<S> {
        Dashboard {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`DashboardLayer`].
#[derive(Clone)]
pub(super) struct Dashboard<S> {
    inner: S,
    layer: DashboardLayer,
}

impl<S, B> tower::Service<HttpRequest<B>> for Dashboard<S>
where
    S: tower::Service<HttpRequest<B>, Response = HttpResponse>,
    S::Future: Send + 'static,
{
    type Response = HttpResponse;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<HttpResponse, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        let method = request.method();
        let found = (method == Method::GET || method == Method::HEAD)
            .then(|| asset(request.uri().path()))
            .flatten();
        let Some((kind, text)) = found else {
            return self.inner.call(request).boxed();
        };
        let head = method == Method::HEAD;
        let ip = request
            .extensions()
            .get::<Client>()
            .map_or(self.layer.peer, |c| c.ip);
        let _call = self.layer.activity.call();
        let answer = match self.layer.limits.admit(ClientKey::of(ip), Instant::now()) {
            Ok(_permit) if head => response(StatusCode::OK, kind, HttpBody::empty()),
            Ok(_permit) => response(StatusCode::OK, kind, HttpBody::from(text)),
            Err(why) => response(
                StatusCode::TOO_MANY_REQUESTS,
                "text/plain; charset=utf-8",
                HttpBody::from(why),
            ),
        };
        async move { Ok(answer) }.boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_its_own_files() {
        let (kind, page) = asset("/dashboard").unwrap();
        assert!(kind.starts_with("text/html"));
        for (path, _, _) in ASSETS.iter().filter(|(p, _, _)| p.contains('.')) {
            assert!(page.contains(&format!("\"{path}\"")), "{path}");
        }
        // Nothing from elsewhere, nothing inline that the policy would refuse.
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(!page.contains("<script>") && !page.contains("style="));
        assert!(asset("/dashboard/../Cargo.toml").is_none());
        assert!(asset("/").is_none());
    }

    #[test]
    fn answers_carry_the_policy() {
        let r = response(StatusCode::OK, "text/css", HttpBody::empty());
        assert_eq!(r.headers()[header::CONTENT_SECURITY_POLICY], CSP);
        assert_eq!(r.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    }
}
