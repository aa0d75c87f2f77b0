//! `ComfyClient`: the typed HTTP side of a ComfyUI server (PROTOCOL §1). The only place in the
//! product that makes HTTP calls to ComfyUI.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::StreamExt;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use url::Url;

use crate::auth::{Endpoint, host_label};
use crate::classify;
use crate::error::ComfyError;
use crate::model::misc::{DeleteRequest, InterruptRequest};
use crate::model::{
    Features, History, HistoryEntry, NodeSchema, ObjectInfo, PromptAccepted, PromptErrorBody,
    PromptQueueInfo, Queue, QueueSummary, SystemStats,
};
use crate::options::ClientOptions;
use crate::rejection::PromptRejection;

/// A client for one endpoint. Cheap to clone (shared connection pool).
#[derive(Clone)]
pub struct ComfyClient {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) endpoint: Endpoint,
    pub(crate) host: String,
    pub(crate) http: reqwest::Client,
    pub(crate) options: ClientOptions,
    pub(crate) tls: Arc<rustls::ClientConfig>,
    pub(crate) auth_header: Option<(HeaderName, HeaderValue)>,
    features: Mutex<Option<Features>>,
}

impl std::fmt::Debug for ComfyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ComfyClient")
            .field("base_url", &self.inner.endpoint.base_url.as_str())
            .field("auth", &self.inner.endpoint.auth.kind())
            .finish()
    }
}

/// The body of a POST /prompt, borrowing the caller's graph.
#[derive(Serialize)]
struct PromptBody<'a> {
    prompt: &'a Value,
    client_id: &'a str,
    prompt_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    extra_data: Option<&'a Map<String, Value>>,
}

fn excerpt(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(200)];
    String::from_utf8_lossy(cut).into_owned()
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8], path: &str) -> Result<T, ComfyError> {
    serde_json::from_slice(bytes).map_err(|e| ComfyError::MalformedBody {
        path: path.to_owned(),
        error: e.to_string(),
        excerpt: excerpt(bytes),
    })
}

impl ComfyClient {
    pub fn new(endpoint: Endpoint, options: ClientOptions) -> Result<ComfyClient, ComfyError> {
        let endpoint = endpoint.validated()?;
        let host = host_label(&endpoint.base_url);
        let auth_header = endpoint.auth.header()?;
        let tls = crate::tls::client_config(&options.extra_root_certificates)?;
        let mut headers = HeaderMap::new();
        if let Some((name, value)) = &auth_header {
            headers.insert(name.clone(), value.clone());
        }
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls.clone())
            .default_headers(headers)
            .user_agent(options.user_agent.clone())
            .connect_timeout(options.connect_timeout)
            .read_timeout(options.transfer_idle_timeout)
            .redirect(same_origin_redirects())
            .tcp_nodelay(true)
            .build()
            .map_err(|e| ComfyError::ClientSetup(classify::chain_text(&e)))?;
        Ok(ComfyClient {
            inner: Arc::new(Inner {
                endpoint,
                host,
                http,
                options,
                tls: Arc::new(tls),
                auth_header,
                features: Mutex::new(None),
            }),
        })
    }

    pub fn endpoint(&self) -> &Endpoint {
        &self.inner.endpoint
    }

    /// `host[:port]`, for messages.
    pub fn host(&self) -> &str {
        &self.inner.host
    }

    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The base URL joined with path segments (each percent-encoded).
    pub(crate) fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.inner.endpoint.base_url.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            path.extend(segments);
        }
        url
    }

    pub(crate) fn reqwest_error(&self, e: reqwest::Error, what: &str) -> ComfyError {
        classify::from_reqwest(
            e,
            &self.inner.host,
            what,
            self.inner.options.request_timeout,
        )
    }

    /// Send with the JSON request timeout; non-2xx becomes its error class.
    async fn send(&self, req: RequestBuilder, path: &str) -> Result<Response, ComfyError> {
        let started = Instant::now();
        let resp = req
            .timeout(self.inner.options.request_timeout)
            .send()
            .await
            .map_err(|e| self.reqwest_error(e, path))?;
        tracing::debug!(
            host = %self.inner.host,
            path,
            status = resp.status().as_u16(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "comfy request"
        );
        self.check_status(resp, path).await
    }

    pub(crate) async fn check_status(
        &self,
        resp: Response,
        path: &str,
    ) -> Result<Response, ComfyError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = self
            .read_capped(resp, path, self.inner.options.max_error_body_bytes)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Err(classify::status_error(
            status.as_u16(),
            &self.inner.host,
            path,
            body,
        ))
    }

    /// Read a body, refusing more than `cap` bytes (checked on Content-Length first).
    pub(crate) async fn read_capped(
        &self,
        resp: Response,
        path: &str,
        cap: u64,
    ) -> Result<Vec<u8>, ComfyError> {
        let too_large = || ComfyError::BodyTooLarge {
            path: path.to_owned(),
            limit: cap,
        };
        if resp.content_length().is_some_and(|n| n > cap) {
            return Err(too_large());
        }
        let mut body = Vec::with_capacity(resp.content_length().unwrap_or(0) as usize);
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.reqwest_error(e, path))?;
            if body.len() as u64 + chunk.len() as u64 > cap {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
    ) -> Result<T, ComfyError> {
        self.get_json_capped(segments, query, self.inner.options.max_json_bytes)
            .await
    }

    /// GET and decode straight into `T` (no intermediate JSON tree), refusing more than `cap`.
    async fn get_json_capped<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        query: &[(&str, String)],
        cap: u64,
    ) -> Result<T, ComfyError> {
        let path = format!("/{}", segments.join("/"));
        let req = self.inner.http.get(self.url(segments)).query(query);
        let resp = self.send(req, &path).await?;
        let body = self.read_capped(resp, &path, cap).await?;
        decode(&body, &path)
    }

    async fn post_json_no_reply<B: Serialize>(
        &self,
        segments: &[&str],
        body: Option<&B>,
    ) -> Result<(), ComfyError> {
        let path = format!("/{}", segments.join("/"));
        let mut req = self.inner.http.post(self.url(segments));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = self.send(req, &path).await?;
        // The server answers with an empty body; read (capped) so the connection is reused.
        self.read_capped(resp, &path, self.inner.options.max_error_body_bytes)
            .await?;
        Ok(())
    }

    /// GET /system_stats: version, OS, devices with VRAM.
    pub async fn system_stats(&self) -> Result<SystemStats, ComfyError> {
        self.get_json(&["system_stats"], &[]).await
    }

    /// GET /object_info: every node schema.
    pub async fn object_info(&self) -> Result<ObjectInfo, ComfyError> {
        let cap = self.inner.options.max_object_info_bytes;
        self.get_json_capped(&["object_info"], &[], cap).await
    }

    /// GET /object_info/{class}; `None` when the server has no such node.
    pub async fn object_info_class(&self, class: &str) -> Result<Option<NodeSchema>, ComfyError> {
        let mut map: ObjectInfo = self.get_json(&["object_info", class], &[]).await?;
        Ok(map.remove(class))
    }

    /// GET /models: model folder names.
    pub async fn model_folders(&self) -> Result<Vec<String>, ComfyError> {
        self.get_json(&["models"], &[]).await
    }

    /// GET /models/{folder}: file names (relative paths); `None` when the server has no such
    /// folder (404).
    pub async fn models(&self, folder: &str) -> Result<Option<Vec<String>>, ComfyError> {
        match self.get_json(&["models", folder], &[]).await {
            Ok(list) => Ok(Some(list)),
            Err(ComfyError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// GET /queue with every item's graph.
    pub async fn queue(&self) -> Result<Queue, ComfyError> {
        self.get_json(&["queue"], &[]).await
    }

    /// GET /queue reduced to ids and client ids (graphs skipped while parsing): what following
    /// or cancelling a prompt needs, at a memory cost of about the body size.
    pub async fn queue_summary(&self) -> Result<QueueSummary, ComfyError> {
        let cap = self.inner.options.max_queue_bytes;
        self.get_json_capped(&["queue"], &[], cap).await
    }

    /// GET /prompt: `queue_remaining` (running + pending).
    pub async fn queue_remaining(&self) -> Result<u64, ComfyError> {
        let info: PromptQueueInfo = self.get_json(&["prompt"], &[]).await?;
        Ok(info.exec_info.queue_remaining)
    }

    /// GET /history/{prompt_id}; `None` when the server does not know it (`{}`).
    pub async fn history(&self, prompt_id: &str) -> Result<Option<HistoryEntry>, ComfyError> {
        let mut map: History = self.get_json(&["history", prompt_id], &[]).await?;
        Ok(map.remove(prompt_id))
    }

    /// GET /history?max_items=N (newest entries).
    pub async fn history_recent(&self, max_items: u32) -> Result<History, ComfyError> {
        self.get_json(&["history"], &[("max_items", max_items.to_string())])
            .await
    }

    /// POST /history {"delete": ids}.
    pub async fn history_delete(&self, prompt_ids: &[String]) -> Result<(), ComfyError> {
        let body = DeleteRequest {
            delete: Some(prompt_ids.to_vec()),
            clear: None,
        };
        self.post_json_no_reply(&["history"], Some(&body)).await
    }

    /// GET /features (cached after the first answer). A server without the route (older
    /// versions) gives empty features.
    pub async fn features(&self) -> Result<Features, ComfyError> {
        if let Some(f) = self.cached_features() {
            return Ok(f);
        }
        let features = match self.get_json::<Features>(&["features"], &[]).await {
            Ok(f) => f,
            Err(ComfyError::NotFound { .. }) => Features::default(),
            Err(e) => return Err(e),
        };
        self.remember_features(features.clone());
        Ok(features)
    }

    pub(crate) fn cached_features(&self) -> Option<Features> {
        self.inner
            .features
            .lock()
            .ok()
            .and_then(|guard| guard.clone())
    }

    pub(crate) fn remember_features(&self, features: Features) {
        if let Ok(mut guard) = self.inner.features.lock() {
            *guard = Some(features);
        }
    }

    /// POST /prompt with our own `prompt_id` and `client_id` (so the events of this prompt
    /// come to our socket). A 400 becomes [`ComfyError::PromptRejected`]. When the request was
    /// sent but its answer was lost (a timeout, a cut connection, a gateway error, an answer
    /// that is not JSON or names another prompt id) the server may have queued it: the error is
    /// [`ComfyError::PromptAnswerLost`] (see [`crate::EventHub::reconcile`]).
    pub async fn submit_prompt(
        &self,
        graph: &Value,
        prompt_id: &str,
        client_id: &str,
        extra_data: Option<&Map<String, Value>>,
    ) -> Result<PromptAccepted, ComfyError> {
        let accepted = self
            .post_prompt(graph, prompt_id, client_id, extra_data)
            .await
            .and_then(|accepted| {
                if accepted.prompt_id == prompt_id {
                    Ok(accepted)
                } else {
                    Err(ComfyError::WrongPromptId {
                        expected: prompt_id.to_owned(),
                        got: accepted.prompt_id,
                    })
                }
            });
        match accepted {
            Ok(accepted) => {
                tracing::info!(
                    host = %self.inner.host,
                    comfy_prompt_id = %accepted.prompt_id,
                    number = %accepted.number,
                    "prompt queued"
                );
                Ok(accepted)
            }
            Err(cause) if answer_may_be_lost(&cause) => {
                tracing::warn!(
                    host = %self.inner.host,
                    comfy_prompt_id = prompt_id,
                    error = %cause,
                    "the answer to POST /prompt was lost; the prompt may be queued"
                );
                Err(ComfyError::PromptAnswerLost {
                    prompt_id: prompt_id.to_owned(),
                    cause: Box::new(cause),
                })
            }
            Err(e) => Err(e),
        }
    }

    async fn post_prompt(
        &self,
        graph: &Value,
        prompt_id: &str,
        client_id: &str,
        extra_data: Option<&Map<String, Value>>,
    ) -> Result<PromptAccepted, ComfyError> {
        let path = "/prompt";
        let body = PromptBody {
            prompt: graph,
            client_id,
            prompt_id,
            extra_data,
        };
        let resp = self
            .inner
            .http
            .post(self.url(&["prompt"]))
            .json(&body)
            .timeout(self.inner.options.request_timeout)
            .send()
            .await
            .map_err(|e| self.reqwest_error(e, path))?;
        let status = resp.status();
        if status == StatusCode::BAD_REQUEST {
            let raw = self
                .read_capped(resp, path, self.inner.options.max_json_bytes)
                .await?;
            return match serde_json::from_slice::<PromptErrorBody>(&raw) {
                Ok(body) => Err(ComfyError::PromptRejected(Box::new(
                    PromptRejection::from_body(body),
                ))),
                Err(_) => Err(classify::status_error(
                    400,
                    &self.inner.host,
                    path,
                    excerpt(&raw),
                )),
            };
        }
        let resp = self.check_status(resp, path).await?;
        let raw = self
            .read_capped(resp, path, self.inner.options.max_json_bytes)
            .await?;
        decode(&raw, path)
    }

    /// POST /queue {"delete": ids}: removes pending prompts (running ones are not stopped).
    pub async fn queue_delete(&self, prompt_ids: &[String]) -> Result<(), ComfyError> {
        let body = DeleteRequest {
            delete: Some(prompt_ids.to_vec()),
            clear: None,
        };
        self.post_json_no_reply(&["queue"], Some(&body)).await
    }

    /// POST /interrupt {"prompt_id": id}: stops the prompt only if it is the one running, so
    /// another user's job is never interrupted.
    pub async fn interrupt(&self, prompt_id: &str) -> Result<(), ComfyError> {
        let body = InterruptRequest {
            prompt_id: prompt_id.to_owned(),
        };
        self.post_json_no_reply(&["interrupt"], Some(&body)).await
    }
}

/// What [`ComfyClient::cancel`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cancellation {
    /// It was pending and is removed from the queue (it will never run).
    Dequeued,
    /// It was running; the interrupt lands at the node's next step (cooperative).
    Interrupted,
    /// Neither pending nor running: already finished, or unknown to the server.
    NotActive,
}

impl ComfyClient {
    /// Cancel one prompt without touching anyone else's: delete it if pending, interrupt it
    /// (targeted) if running. A prompt that starts between the two checks is interrupted.
    pub async fn cancel(&self, prompt_id: &str) -> Result<Cancellation, ComfyError> {
        let queue = self.queue_summary().await?;
        if queue.is_running(prompt_id) {
            self.interrupt(prompt_id).await?;
            return Ok(Cancellation::Interrupted);
        }
        if queue.ahead_of(prompt_id).is_none() {
            return Ok(Cancellation::NotActive);
        }
        self.queue_delete(&[prompt_id.to_owned()]).await?;
        if self.queue_summary().await?.is_running(prompt_id) {
            self.interrupt(prompt_id).await?;
            return Ok(Cancellation::Interrupted);
        }
        Ok(Cancellation::Dequeued)
    }
}

/// Errors of POST /prompt after which the server may still have queued the prompt: the
/// request left (it was not a refused connection or an unknown host) and no trustworthy answer
/// came back.
fn answer_may_be_lost(e: &ComfyError) -> bool {
    matches!(
        e,
        ComfyError::Timeout { .. }
            | ComfyError::Network { .. }
            | ComfyError::MalformedBody { .. }
            | ComfyError::BodyTooLarge { .. }
            | ComfyError::WrongPromptId { .. }
            | ComfyError::ServerError {
                status: 502..=504,
                ..
            }
    )
}

/// Follow redirects only within the same scheme, host and port (or an http→https upgrade on
/// the same host): credentials, including custom headers, must never reach another origin.
fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= 5 {
            return attempt.error("too many redirects");
        }
        let Some(first) = attempt.previous().first() else {
            return attempt.stop();
        };
        let next = attempt.url();
        let same_host = first.host_str() == next.host_str();
        let same_origin = same_host
            && first.scheme() == next.scheme()
            && first.port_or_known_default() == next.port_or_known_default();
        let upgrade = same_host && first.scheme() == "http" && next.scheme() == "https";
        if same_origin || upgrade {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}
