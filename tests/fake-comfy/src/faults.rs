//! Scripted faults: what a test asks the fake to do wrong, and when.
//!
//! Three families:
//! * [`PromptFault`] changes how one prompt executes (error at a node, interrupt, delay, hang,
//!   drop the sockets mid-run). It is armed for the next prompt that starts, for a given
//!   prompt_id, or for every prompt ([`FaultTarget`]).
//! * [`EndpointFault`] changes HTTP answers on a path: slow, malformed JSON, a status code, any
//!   canned body (wrong types, invalid UTF-8, an HTML page, a huge body), no answer at all, a
//!   body that trickles or never ends, or an answer lost after the request was handled (the
//!   prompt is queued, the client never learns it).
//! * Server-wide switches: expected auth (401 otherwise), upload limit / forced 413, dropping
//!   WebSocket connections now, after N more messages, or right after each upgrade (a proxy
//!   that accepts the handshake and then cuts). Restarts live on the handle.

use std::time::Duration;

use base64::Engine;

/// Which prompt(s) a [`PromptFault`] applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultTarget {
    /// The next prompt that starts executing (consumed by it).
    NextPrompt,
    /// The prompt with this prompt_id (consumed by it).
    PromptId(String),
    /// Every prompt until [`crate::Faults::clear`].
    EveryPrompt,
}

/// An execution_error to raise at a node, with the payload fields ComfyUI would report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecErrorSpec {
    pub node_id: String,
    pub exception_type: String,
    pub exception_message: String,
    /// `None` quotes the traceback captured in history_exec_error.json.
    pub traceback: Option<Vec<String>>,
}

/// Where a prompt hangs until [`crate::Faults::release_hangs`] (or an interrupt, or a restart).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HangPoint {
    /// After it was taken off the queue (it is `queue_running`), before `execution_start`.
    BeforeStart,
    /// After `executing{node}` for this node.
    AtNode(String),
}

/// How one prompt misbehaves. Combine with the builder methods, e.g.
/// `PromptFault::default().delay_start(Duration::from_millis(50)).error_at("13")`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromptFault {
    pub delay_start: Option<Duration>,
    pub hang: Option<HangPoint>,
    pub error: Option<ExecErrorSpec>,
    pub interrupt_at: Option<String>,
    pub drop_sockets_at: Option<String>,
    /// Output nodes also write a different file with the same name into this subfolder and
    /// report both (two outputs that only their subfolder tells apart).
    pub duplicate_output_in: Option<String>,
    /// Output nodes run but save nothing (a graph whose saver was bypassed): success, no files.
    pub no_outputs: bool,
}

impl PromptFault {
    /// Fail with `RuntimeError` at `node_id` (after its `executing` event).
    pub fn error_at(mut self, node_id: impl Into<String>) -> Self {
        self.error = Some(ExecErrorSpec {
            node_id: node_id.into(),
            exception_type: "RuntimeError".into(),
            exception_message: "fake-comfy: scripted execution error".into(),
            traceback: None,
        });
        self
    }

    /// Fail at `node_id` with the given exception type and message
    /// (e.g. `torch.OutOfMemoryError`, `"Allocation on device 0 would exceed allowed memory."`).
    pub fn error_at_with(
        mut self,
        node_id: impl Into<String>,
        exception_type: impl Into<String>,
        exception_message: impl Into<String>,
    ) -> Self {
        self.error = Some(ExecErrorSpec {
            node_id: node_id.into(),
            exception_type: exception_type.into(),
            exception_message: exception_message.into(),
            traceback: None,
        });
        self
    }

    /// Behave as if POST /interrupt arrived while `node_id` runs.
    pub fn interrupt_at(mut self, node_id: impl Into<String>) -> Self {
        self.interrupt_at = Some(node_id.into());
        self
    }

    /// Stay in `queue_running` this long before `execution_start`.
    pub fn delay_start(mut self, d: Duration) -> Self {
        self.delay_start = Some(d);
        self
    }

    /// Hang before `execution_start` until released.
    pub fn hang_before_start(mut self) -> Self {
        self.hang = Some(HangPoint::BeforeStart);
        self
    }

    /// Hang inside `node_id` until released.
    pub fn hang_at(mut self, node_id: impl Into<String>) -> Self {
        self.hang = Some(HangPoint::AtNode(node_id.into()));
        self
    }

    /// Drop every WebSocket connection when `node_id` starts.
    pub fn drop_sockets_at(mut self, node_id: impl Into<String>) -> Self {
        self.drop_sockets_at = Some(node_id.into());
        self
    }

    /// Output nodes save nothing: the prompt succeeds with no files.
    pub fn no_outputs(mut self) -> Self {
        self.no_outputs = true;
        self
    }

    /// Each output node also writes a same-named, different file under `subfolder`.
    pub fn duplicate_output_in(mut self, subfolder: impl Into<String>) -> Self {
        self.duplicate_output_in = Some(subfolder.into());
        self
    }

    pub(crate) fn merge(&mut self, other: &PromptFault) {
        if other.delay_start.is_some() {
            self.delay_start = other.delay_start;
        }
        if other.hang.is_some() {
            self.hang = other.hang.clone();
        }
        if other.error.is_some() {
            self.error = other.error.clone();
        }
        if other.interrupt_at.is_some() {
            self.interrupt_at = other.interrupt_at.clone();
        }
        if other.drop_sockets_at.is_some() {
            self.drop_sockets_at = other.drop_sockets_at.clone();
        }
        if other.duplicate_output_in.is_some() {
            self.duplicate_output_in = other.duplicate_output_in.clone();
        }
        self.no_outputs |= other.no_outputs;
    }
}

/// What an [`EndpointFault`] does to a matching request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EndpointFaultKind {
    /// Answer normally, but only after this long.
    Delay(Duration),
    /// 200 with `Content-Type: application/json` and a truncated JSON body.
    MalformedJson,
    /// This status with an empty body (e.g. 500, 502, 503).
    Status(u16),
    /// This exact answer instead of the real one (wrong types, invalid UTF-8, an HTML page from
    /// a proxy, a body larger than any client cap…).
    Body(CannedBody),
    /// Accept the request and never answer (the connection stays open until the client gives up
    /// or the server restarts).
    Hang,
    /// `200` with these headers, then the body one byte per `every`, forever (slow-loris).
    Trickle {
        every: Duration,
        content_type: String,
        declared_length: Option<u64>,
    },
    /// `200` and zeros as fast as the client reads, forever; `declared_length` (e.g. 20 GB)
    /// goes in Content-Length when given.
    Endless {
        content_type: String,
        declared_length: Option<u64>,
    },
    /// Handle the request for real (a POST /prompt is queued and will run), then lose the
    /// answer on the way back.
    AnswerLost(LostAnswer),
}

/// A canned HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannedBody {
    pub status: u16,
    pub content_type: String,
    pub body: bytes::Bytes,
}

/// How an answer is lost after the request was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// The connection stays open and silent (the client times out).
    Hang,
    /// `200` with a body that is not JSON (a proxy error page).
    Garbled,
    /// The JSON answer with its `prompt_id` replaced by another id.
    WrongPromptId,
}

/// A fault on HTTP requests whose path matches `path` (exact, or a prefix when it ends in `*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointFault {
    pub method: Option<String>,
    pub path: String,
    pub kind: EndpointFaultKind,
    /// How many matching requests it affects; `None` = until cleared.
    pub remaining: Option<u32>,
}

impl EndpointFault {
    pub fn delay(path: impl Into<String>, d: Duration) -> Self {
        Self::new(path, EndpointFaultKind::Delay(d))
    }
    pub fn malformed_json(path: impl Into<String>) -> Self {
        Self::new(path, EndpointFaultKind::MalformedJson)
    }
    pub fn status(path: impl Into<String>, status: u16) -> Self {
        Self::new(path, EndpointFaultKind::Status(status))
    }
    /// Answer `status` with this content type and body.
    pub fn body(
        path: impl Into<String>,
        status: u16,
        content_type: impl Into<String>,
        body: impl Into<bytes::Bytes>,
    ) -> Self {
        Self::new(
            path,
            EndpointFaultKind::Body(CannedBody {
                status,
                content_type: content_type.into(),
                body: body.into(),
            }),
        )
    }
    /// `200 application/json` with this body (e.g. wrong types or invalid UTF-8).
    pub fn json_body(path: impl Into<String>, body: impl Into<bytes::Bytes>) -> Self {
        Self::body(path, 200, "application/json; charset=utf-8", body)
    }
    /// Never answer.
    pub fn hang(path: impl Into<String>) -> Self {
        Self::new(path, EndpointFaultKind::Hang)
    }
    /// Headers, then one byte per `every`.
    pub fn trickle(path: impl Into<String>, every: Duration, content_type: &str) -> Self {
        Self::new(
            path,
            EndpointFaultKind::Trickle {
                every,
                content_type: content_type.into(),
                declared_length: None,
            },
        )
    }
    /// Zeros forever, optionally declaring `declared_length` bytes.
    pub fn endless(path: impl Into<String>, content_type: &str, declared: Option<u64>) -> Self {
        Self::new(
            path,
            EndpointFaultKind::Endless {
                content_type: content_type.into(),
                declared_length: declared,
            },
        )
    }
    /// Handle the request, then lose the answer as `how` says.
    pub fn answer_lost(path: impl Into<String>, how: LostAnswer) -> Self {
        Self::new(path, EndpointFaultKind::AnswerLost(how))
    }
    fn new(path: impl Into<String>, kind: EndpointFaultKind) -> Self {
        Self {
            method: None,
            path: path.into(),
            kind,
            remaining: None,
        }
    }
    /// Only for this HTTP method (e.g. "POST").
    pub fn method(mut self, m: &str) -> Self {
        self.method = Some(m.to_ascii_uppercase());
        self
    }
    /// Only the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.remaining = Some(n);
        self
    }
    pub(crate) fn matches(&self, method: &str, path: &str) -> bool {
        if self.remaining == Some(0) {
            return false;
        }
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        match self.path.strip_suffix('*') {
            Some(prefix) => path.starts_with(prefix),
            None => path == self.path,
        }
    }
}

/// The credential every HTTP request and the WebSocket handshake must carry (else 401).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedAuth {
    /// `Authorization: Bearer <token>`
    Bearer(String),
    /// `Authorization: Basic base64(user:password)`
    Basic { user: String, password: String },
    /// `<name>: <value>` (header name case-insensitive)
    Header { name: String, value: String },
}

impl ExpectedAuth {
    /// (header name lowercase, exact expected value)
    pub fn header(&self) -> (String, String) {
        match self {
            Self::Bearer(t) => ("authorization".into(), format!("Bearer {t}")),
            Self::Basic { user, password } => {
                let enc =
                    base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
                ("authorization".into(), format!("Basic {enc}"))
            }
            Self::Header { name, value } => (name.to_ascii_lowercase(), value.clone()),
        }
    }
}

/// All armed faults (inside the server state).
#[derive(Debug, Default)]
pub(crate) struct FaultState {
    /// (target, fault, value of the release counter when armed)
    pub prompt: Vec<(FaultTarget, PromptFault, u64)>,
    pub endpoints: Vec<EndpointFault>,
    pub auth: Option<ExpectedAuth>,
    pub force_413: bool,
    pub ws_drop_after: Option<u64>,
    /// Accept every WebSocket upgrade and cut it at once, before any message.
    pub ws_drop_on_upgrade: bool,
    /// Further countdowns armed one after another when `ws_drop_after` fires.
    pub ws_drop_schedule: std::collections::VecDeque<u64>,
}

impl FaultState {
    /// The faults for a prompt that is starting; consumes one-shot entries. Also returns the
    /// release counter value its hang waits to see exceeded (a release issued after arming
    /// but before the hang is reached still counts).
    pub fn take_for_prompt(&mut self, prompt_id: &str, release_now: u64) -> (PromptFault, u64) {
        let mut out = PromptFault::default();
        let mut hang_epoch = 0;
        let mut consumed_next = false;
        let mut keep = Vec::with_capacity(self.prompt.len());
        for (target, fault, epoch) in self.prompt.drain(..) {
            let (applies, consume) = match &target {
                FaultTarget::EveryPrompt => (true, false),
                FaultTarget::PromptId(id) => (id == prompt_id, id == prompt_id),
                FaultTarget::NextPrompt if !consumed_next => {
                    consumed_next = true;
                    (true, true)
                }
                FaultTarget::NextPrompt => (false, false),
            };
            if applies {
                if fault.hang.is_some() {
                    // A standing fault hangs each prompt anew; a one-shot one honours a release
                    // issued since it was armed.
                    hang_epoch = if consume { epoch } else { release_now };
                }
                out.merge(&fault);
            }
            if !consume {
                keep.push((target, fault, epoch));
            }
        }
        self.prompt = keep;
        (out, hang_epoch)
    }

    /// The endpoint fault for a request, counting it down.
    pub fn take_endpoint(&mut self, method: &str, path: &str) -> Option<EndpointFaultKind> {
        let f = self
            .endpoints
            .iter_mut()
            .find(|f| f.matches(method, path))?;
        if let Some(n) = f.remaining.as_mut() {
            *n = n.saturating_sub(1);
        }
        Some(f.kind.clone())
    }
}
