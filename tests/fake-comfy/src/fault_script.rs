//! Fault scripting for a running server (the library side of the `/__fake/*` control routes).

use std::sync::Arc;

use crate::state::Shared;
use crate::*;

/// Fault scripting for a running server (cheap to clone).
#[derive(Clone)]
pub struct Faults {
    pub(crate) shared: Arc<Shared>,
}

impl Faults {
    /// Arm a prompt fault for `target`.
    pub fn arm(&self, target: FaultTarget, fault: PromptFault) {
        let epoch = *self.shared.release.borrow();
        self.shared
            .lock()
            .faults
            .prompt
            .push((target, fault, epoch));
    }
    /// For the next prompt that starts executing.
    pub fn on_next_prompt(&self, fault: PromptFault) {
        self.arm(FaultTarget::NextPrompt, fault);
    }
    /// For the prompt with this prompt_id.
    pub fn on_prompt(&self, prompt_id: &str, fault: PromptFault) {
        self.arm(FaultTarget::PromptId(prompt_id.to_string()), fault);
    }
    /// For every prompt until [`Faults::clear`].
    pub fn on_every_prompt(&self, fault: PromptFault) {
        self.arm(FaultTarget::EveryPrompt, fault);
    }
    /// Let every hanging prompt continue.
    pub fn release_hangs(&self) {
        self.shared.release.send_modify(|n| *n = n.wrapping_add(1));
    }
    /// Add an HTTP endpoint fault (first matching fault wins).
    pub fn endpoint(&self, fault: EndpointFault) {
        self.shared.lock().faults.endpoints.push(fault);
    }
    pub fn require_auth(&self, auth: ExpectedAuth) {
        self.shared.lock().faults.auth = Some(auth);
    }
    pub fn clear_auth(&self) {
        self.shared.lock().faults.auth = None;
    }
    /// Answer 413 to every upload.
    pub fn reject_uploads(&self, on: bool) {
        self.shared.lock().faults.force_413 = on;
    }
    /// Change the upload limit (also reported by /features and feature_flags).
    pub fn set_max_upload_size(&self, bytes: u64) {
        self.shared.lock().max_upload_size = bytes;
    }
    /// Cut every WebSocket connection now (no close frame).
    pub fn drop_websockets_now(&self) {
        state::drop_all_sockets(&mut self.shared.lock());
        self.shared.bump();
    }
    /// Complete every WebSocket upgrade and cut it at once (a proxy that accepts the handshake
    /// and then drops the connection). Counted in `ws_connections_total`.
    pub fn drop_websockets_on_upgrade(&self, on: bool) {
        self.shared.lock().faults.ws_drop_on_upgrade = on;
    }
    /// Cut every WebSocket connection after `n` more delivered messages.
    pub fn drop_websockets_after(&self, n: u64) {
        self.drop_websockets_schedule(&[n]);
    }
    /// Cut every WebSocket connection after `counts[0]` delivered messages, then again after
    /// `counts[1]` more, and so on (for property tests over drop schedules).
    pub fn drop_websockets_schedule(&self, counts: &[u64]) {
        let mut st = self.shared.lock();
        let mut queue: std::collections::VecDeque<u64> = counts.iter().copied().collect();
        while queue.front() == Some(&0) {
            queue.pop_front();
            state::drop_all_sockets(&mut st);
        }
        st.faults.ws_drop_after = queue.pop_front();
        st.faults.ws_drop_schedule = queue;
    }
    /// Disarm everything (prompt, endpoint, auth, upload and socket faults); release hangs.
    pub fn clear(&self) {
        {
            let mut st = self.shared.lock();
            let max = st.max_upload_size;
            st.faults = faults::FaultState::default();
            st.max_upload_size = max;
        }
        self.release_hangs();
    }
}
