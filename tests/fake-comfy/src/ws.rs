//! `GET /ws?clientId=…`: ComfyUI's websocket_handler (PROTOCOL §7).
//!
//! * first frame to the client: `status` with `sid` (the clientId, or 32 hex chars when none);
//! * reconnecting as the running prompt's client re-sends `executing{node}` (no prompt_id);
//! * a first client frame `feature_flags` is answered with the server features, later ones are not;
//! * a second socket with the same clientId takes over the routing; the old one stays open, silent.
//! * fault: with `ws_drop_on_upgrade`, every upgrade is completed and then cut at once.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::Response;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::state::{Shared, SocketEntry, WsOut, send_json};

#[derive(Debug, Deserialize)]
pub(crate) struct WsQuery {
    #[serde(rename = "clientId")]
    client_id: Option<String>,
}

pub(crate) async fn handler(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let sid = q
        .client_id
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    if shared.lock().faults.ws_drop_on_upgrade {
        // A proxy that completes the handshake and then cuts the connection, no message sent.
        return upgrade.on_upgrade(move |socket| async move {
            shared.ws_total.fetch_add(1, Ordering::Relaxed);
            shared.bump();
            drop(socket);
        });
    }
    upgrade.on_upgrade(move |socket| serve(shared, sid, socket))
}

pub(crate) fn server_features(shared: &Shared) -> Value {
    let max = shared.lock().max_upload_size;
    let mut f = shared.captures.features.clone();
    if let Some(m) = f.as_object_mut() {
        m.insert("max_upload_size".into(), json!(max));
    }
    f
}

async fn serve(shared: Arc<Shared>, sid: String, socket: WebSocket) {
    let generation = shared.generation();
    let kill = generation.child_token();
    let conn_id = shared.conn_ids.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel::<WsOut>();
    {
        let mut st = shared.lock();
        if let Some(old) = st.sockets.shift_remove(&sid) {
            // ComfyUI forgets the old socket for routing but does not close it.
            drop(old);
        }
        st.sockets.insert(
            sid.clone(),
            SocketEntry {
                conn_id,
                tx,
                preview_metadata: false,
                kill: kill.clone(),
            },
        );
        let status = json!({
            "status": {"exec_info": {"queue_remaining": st.queue_remaining()}},
            "sid": sid,
        });
        send_json(&mut st, Some(&sid), "status", &status);
        let resume = st.running.as_ref().and_then(|r| {
            (r.item.client_id().as_deref() == Some(sid.as_str()))
                .then(|| r.last_node.clone())
                .flatten()
        });
        if let Some(node) = resume {
            send_json(&mut st, Some(&sid), "executing", &json!({"node": node}));
        }
    }
    shared.ws_total.fetch_add(1, Ordering::Relaxed);
    shared.ws_open.fetch_add(1, Ordering::Relaxed);
    shared.bump();

    let (mut sink, mut stream) = socket.split();
    let mut first_message = true;
    let mut outbox_open = true;
    loop {
        tokio::select! {
            // Frames queued before a drop are still written: "drop after N messages" means
            // the client receives exactly N.
            biased;
            out = rx.recv(), if outbox_open => match out {
                Some(WsOut::Text(t)) => {
                    if sink.send(Message::Text(t.into())).await.is_err() { break; }
                }
                Some(WsOut::Binary(b)) => {
                    if sink.send(Message::Binary(b.into())).await.is_err() { break; }
                }
                None => outbox_open = false,
            },
            _ = kill.cancelled() => break,
            incoming = stream.next() => match incoming {
                Some(Ok(Message::Text(text))) => {
                    let text = text.to_string();
                    let parsed: Option<Value> = serde_json::from_str(&text).ok();
                    let mut st = shared.lock();
                    st.records.ws_received.push((sid.clone(), text));
                    if let Some(v) = parsed {
                        if first_message && v.get("type").and_then(Value::as_str) == Some("feature_flags") {
                            let wants = v.pointer("/data/supports_preview_metadata")
                                .is_some_and(|x| x.as_bool() == Some(true));
                            if let Some(s) = st.sockets.get_mut(&sid) && s.conn_id == conn_id {
                                s.preview_metadata = wants;
                            }
                            drop(st);
                            let features = server_features(&shared);
                            let mut st = shared.lock();
                            if st.sockets.get(&sid).is_some_and(|s| s.conn_id == conn_id) {
                                send_json(&mut st, Some(&sid), "feature_flags", &features);
                            }
                        }
                        // Any JSON text ends the window for feature negotiation.
                        first_message = false;
                    }
                    shared.bump();
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            }
        }
    }
    {
        let mut st = shared.lock();
        if st.sockets.get(&sid).is_some_and(|s| s.conn_id == conn_id) {
            st.sockets.shift_remove(&sid);
        }
    }
    shared.ws_open.fetch_sub(1, Ordering::Relaxed);
    shared.bump();
}
