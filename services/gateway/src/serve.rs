//! The HTTP/1.1 server loop. `axum::serve` sets no timer on hyper's
//! connections, so a client that opens a connection and never finishes
//! its request head (slowloris), or holds an idle connection open, keeps
//! a task and a file descriptor for as long as it likes. This loop serves
//! each connection with hyper's HTTP/1 builder and a timer: the head of
//! each request (the first, and every next one on a kept-alive
//! connection) must arrive within [`HEADER_READ_TIMEOUT`], or the
//! connection is closed. A slow body is bounded by the request time limit
//! (`overload`). Shutdown is graceful: no new connections, idle ones
//! closed, requests in hand answered.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

/// How long a client may take to send a request's head.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long to wait before accepting again after `accept` failed (out of
/// file descriptors, most likely), so that the loop does not spin.
const ACCEPT_PAUSE: Duration = Duration::from_millis(50);

/// Serves `router` on `listener` until `shutdown` is cancelled, then waits
/// for the connections in hand to finish their requests.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: efa_runtime::Shutdown,
) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, remote) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    tracing::warn!(%error, "accepting an HTTP connection failed");
                    tokio::time::sleep(ACCEPT_PAUSE).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(with_peer(router.clone(), remote));
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %remote, "HTTP connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// `router`, telling every request of the connection its peer's address
/// (what `ConnectInfo<SocketAddr>` extracts, as `axum::serve` would).
fn with_peer(
    router: Router,
    remote: SocketAddr,
) -> impl tower::Service<
    hyper::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    router.map_request(move |mut request: hyper::Request<Incoming>| {
        request.extensions_mut().insert(ConnectInfo(remote));
        request
    })
}
