//! Listening socket, connection tasks and the executor of one server "generation". A restart
//! cancels the generation (every HTTP connection, WebSocket and the running prompt die at once,
//! as when the process goes away) and starts a new one on the same port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpSocket};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::FakeComfyError;
use crate::state::Shared;
use crate::{executor, routes};

pub(crate) fn bind(port: u16) -> Result<TcpListener, FakeComfyError> {
    let err = |source| FakeComfyError::Bind { port, source };
    let socket = TcpSocket::new_v4().map_err(err)?;
    // Rebinding the same port right after a restart must not fail on TIME_WAIT sockets.
    socket.set_reuseaddr(true).map_err(err)?;
    socket
        .bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .map_err(err)?;
    socket.listen(1024).map_err(err)
}

/// Bind, retrying briefly: the previous generation's listener may still be closing.
pub(crate) async fn rebind(port: u16) -> Result<TcpListener, FakeComfyError> {
    let mut last = None;
    for _ in 0..50 {
        match bind(port) {
            Ok(l) => return Ok(l),
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Err(last.unwrap_or(FakeComfyError::Bind {
        port,
        source: std::io::Error::other("bind retries exhausted"),
    }))
}

pub(crate) fn spawn_generation(
    shared: Arc<Shared>,
    listener: TcpListener,
    token: CancellationToken,
) -> JoinHandle<()> {
    let router = routes::router(shared.clone());
    tokio::spawn(async move {
        let exec_token = token.clone();
        let exec_shared = shared.clone();
        let executor = tokio::spawn(async move {
            tokio::select! {
                _ = exec_token.cancelled() => {}
                _ = executor::run(exec_shared) => {}
            }
        });
        loop {
            tokio::select! {
                _ = token.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        let _ = stream.set_nodelay(true);
                        let svc = TowerToHyperService::new(router.clone());
                        let conn_token = token.clone();
                        tokio::spawn(async move {
                            let conn = hyper::server::conn::http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), svc)
                                .with_upgrades();
                            tokio::select! {
                                _ = conn_token.cancelled() => {}
                                _ = conn => {}
                            }
                        });
                    }
                    // e.g. too many open files: back off instead of spinning.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                }
            }
        }
        drop(listener);
        let _ = executor.await;
    })
}

/// Simulate a process restart: cancel the generation (connections, sockets, running prompt),
/// lose queue/history/cache, keep files and armed faults, reopen the same port after `downtime`.
pub(crate) async fn restart(
    shared: &Arc<Shared>,
    downtime: Duration,
) -> Result<(), FakeComfyError> {
    let mut task = shared.server_task.lock().await;
    let new_token = CancellationToken::new();
    let old = {
        let mut g = shared.generation.lock().unwrap_or_else(|e| e.into_inner());
        std::mem::replace(&mut *g, new_token.clone())
    };
    old.cancel();
    if let Some(t) = task.take() {
        let _ = t.await;
    }
    {
        let mut st = shared.lock();
        st.pending.clear();
        st.running = None;
        st.history.clear();
        st.cache.clear();
        crate::state::drop_all_sockets(&mut st);
        st.next_number = 0;
        st.restarts += 1;
    }
    shared.interrupt.send_replace(false);
    shared.bump();
    if !downtime.is_zero() {
        tokio::time::sleep(downtime).await;
    }
    let port = shared.addr.get().map(|a| a.port()).unwrap_or(0);
    let listener = rebind(port).await?;
    *task = Some(spawn_generation(shared.clone(), listener, new_token));
    Ok(())
}
