//! The WebSocket side: `/ws?clientId=…` with auth on the handshake, `feature_flags` sent as
//! the first frame so previews come with metadata (PROTOCOL §7).

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};
use url::Url;

use crate::classify;
use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::model::{BinaryMessage, ServerMessage};

/// One decoded frame from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum SocketEvent {
    Message(ServerMessage),
    Binary(BinaryMessage),
}

/// An open event socket.
pub struct EventSocket {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    host: String,
    last_activity: std::time::Instant,
}

impl std::fmt::Debug for EventSocket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventSocket")
            .field("host", &self.host)
            .finish()
    }
}

const FEATURE_FLAGS_FRAME: &str =
    r#"{"type":"feature_flags","data":{"supports_preview_metadata":true}}"#;

impl ComfyClient {
    /// `ws(s)://host/prefix/ws?clientId=ID`.
    pub fn ws_url(&self, client_id: &str) -> Url {
        let mut url = self.url(&["ws"]);
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // Changing between the special schemes http(s) and ws(s) is allowed by the URL spec.
        let _ = url.set_scheme(scheme);
        url.query_pairs_mut().append_pair("clientId", client_id);
        url
    }

    /// Open the event socket for `client_id` and announce our feature flags.
    pub async fn connect_events(&self, client_id: &str) -> Result<EventSocket, ComfyError> {
        let host = self.inner.host.clone();
        let url = self.ws_url(client_id);
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| classify::from_ws(e, &host, "/ws"))?;
        if let Some((name, value)) = &self.inner.auth_header {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        if let Ok(ua) = self.inner.options.user_agent.parse() {
            request
                .headers_mut()
                .insert(tungstenite::http::header::USER_AGENT, ua);
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(self.inner.options.max_ws_message_bytes))
            .max_frame_size(Some(self.inner.options.max_ws_message_bytes));
        let connector = if url.scheme() == "wss" {
            Connector::Rustls(self.inner.tls.clone())
        } else {
            Connector::Plain
        };
        let timeout = self.inner.options.connect_timeout + self.inner.options.request_timeout;
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            Some(config),
            true,
            Some(connector),
        );
        let (mut stream, _response) = match tokio::time::timeout(timeout, connect).await {
            Ok(Ok(ok)) => ok,
            Ok(Err(e)) => return Err(classify::from_ws(e, &host, "/ws")),
            Err(_) => {
                return Err(ComfyError::Timeout {
                    host,
                    what: "websocket connect".into(),
                    after: timeout,
                });
            }
        };
        stream
            .send(Message::text(FEATURE_FLAGS_FRAME))
            .await
            .map_err(|e| classify::from_ws(e, &host, "/ws"))?;
        tracing::debug!(host = %host, client_id, "event socket open");
        Ok(EventSocket {
            stream,
            host,
            last_activity: std::time::Instant::now(),
        })
    }
}

impl EventSocket {
    /// The next decoded event; `None` when the server closed the socket. Pings are answered
    /// by tungstenite; undecodable binary frames are logged and skipped.
    pub async fn next_event(&mut self) -> Option<Result<SocketEvent, ComfyError>> {
        loop {
            let frame = match self.stream.next().await? {
                Ok(frame) => {
                    self.last_activity = std::time::Instant::now();
                    frame
                }
                Err(tungstenite::Error::ConnectionClosed) => return None,
                Err(e) => return Some(Err(classify::from_ws(e, &self.host, "/ws"))),
            };
            match frame {
                Message::Text(text) => {
                    return Some(match ServerMessage::from_json(text.as_str()) {
                        Ok(m) => Ok(SocketEvent::Message(m)),
                        Err(e) => Err(ComfyError::MalformedBody {
                            path: "/ws".into(),
                            error: e.to_string(),
                            excerpt: text.as_str().chars().take(200).collect(),
                        }),
                    });
                }
                Message::Binary(data) => match BinaryMessage::parse(data) {
                    Ok(b) => return Some(Ok(SocketEvent::Binary(b))),
                    Err(e) => tracing::warn!(host = %self.host, error = %e, "bad binary frame"),
                },
                Message::Close(_) => return None,
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// Time since the last frame of any kind (pongs included).
    pub fn idle_for(&self) -> std::time::Duration {
        self.last_activity.elapsed()
    }

    /// Send a ping (liveness check; the server's pong arrives as activity).
    pub async fn ping(&mut self) -> Result<(), ComfyError> {
        self.stream
            .send(Message::Ping(Bytes::new()))
            .await
            .map_err(|e| classify::from_ws(e, &self.host, "/ws"))
    }

    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
