//! One prompt's execution: events to the client, progress, hangs and faults, output files.

use super::*;

impl Run<'_> {
    fn pid(&self) -> &str {
        &self.item.prompt_id
    }

    /// ComfyUI `send_sync(event, data, server.client_id)`: client, or everyone without one.
    pub(super) fn send_sync(&self, event: &str, data: &Value) {
        let mut st = self.shared.lock();
        send_json(&mut st, self.client.as_deref(), event, data);
    }

    /// Events guarded by `if server.client_id is not None`.
    pub(super) fn send_client(&self, event: &str, data: &Value) {
        if let Some(c) = &self.client {
            let mut st = self.shared.lock();
            send_json(&mut st, Some(c), event, data);
        }
    }

    /// ComfyUI `add_message`: recorded for history, sent to the client (or broadcast if asked).
    pub(super) fn add_message(&mut self, event: &str, mut data: Value, broadcast: bool) {
        if let Some(m) = data.as_object_mut() {
            m.insert("timestamp".into(), json!(now_ms()));
        }
        self.messages.push(json!([event, data.clone()]));
        if self.client.is_some() || broadcast {
            self.send_sync(event, &data);
        }
    }

    fn progress_state(&self) {
        let pid = self.pid().to_string();
        let nodes: serde_json::Map<String, Value> = self
            .progress
            .iter()
            .map(|(id, (value, max, state))| {
                (
                    id.clone(),
                    json!({
                        "value": value, "max": max, "state": state, "node_id": id,
                        "prompt_id": pid, "display_node_id": id, "parent_node_id": null,
                        "real_node_id": id,
                    }),
                )
            })
            .collect();
        self.send_sync("progress_state", &json!({"prompt_id": pid, "nodes": nodes}));
    }

    fn preview_frames(&self, node: &str) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let metadata_client = self.client.as_ref().is_some_and(|c| {
            self.shared
                .lock()
                .sockets
                .get(c)
                .is_some_and(|s| s.preview_metadata)
        });
        let png = &self.shared.preview_png;
        if metadata_client {
            // json.dumps default separators: the byte length matches the capture (165 bytes
            // for a 36-char prompt_id).
            let meta = format!(
                "{{\"node_id\": {n}, \"prompt_id\": {p}, \"display_node_id\": {n}, \"parent_node_id\": null, \"real_node_id\": {n}, \"image_type\": \"image/png\"}}",
                n = Value::String(node.to_string()),
                p = Value::String(self.pid().to_string()),
            );
            let mut b = Vec::with_capacity(8 + meta.len() + png.len());
            b.extend_from_slice(&4u32.to_be_bytes());
            b.extend_from_slice(&(meta.len() as u32).to_be_bytes());
            b.extend_from_slice(meta.as_bytes());
            b.extend_from_slice(png);
            (Some(b), None)
        } else {
            let mut b = Vec::with_capacity(8 + png.len());
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&2u32.to_be_bytes()); // 2 = PNG
            b.extend_from_slice(png);
            (None, Some(b))
        }
    }

    fn send_binary(&self, frame: Vec<u8>) {
        let mut st = self.shared.lock();
        deliver(&mut st, self.client.as_deref(), WsOut::Binary(frame));
    }

    fn interrupted(&self) -> bool {
        *self.interrupt.borrow()
    }

    /// Sleep, waking early on interrupt. Returns true when interrupted.
    pub(super) async fn pace(&mut self, d: Duration) -> bool {
        if self.interrupted() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.interrupt.wait_for(|v| *v) => {}
        }
        self.interrupted()
    }

    /// Wait for `release_hangs` (or an interrupt). Returns true when interrupted.
    pub(super) async fn hang(&mut self) -> bool {
        let start = self.hang_epoch;
        tokio::select! {
            _ = self.release.wait_for(|v| *v != start) => {}
            _ = self.interrupt.wait_for(|v| *v) => {}
        }
        self.interrupted()
    }

    pub(super) async fn run_node(&mut self, id: &str, fault: &PromptFault) -> Result<(), Stop> {
        let class = node_class(&self.item.prompt, id);
        let inputs = self
            .item
            .prompt
            .get(id)
            .and_then(|n| n.get("inputs"))
            .cloned()
            .unwrap_or(Value::Null);
        if fault.drop_sockets_at.as_deref() == Some(id) {
            drop_all_sockets(&mut self.shared.lock());
        }
        if fault.interrupt_at.as_deref() == Some(id) {
            self.shared.interrupt.send_replace(true);
        }
        self.progress
            .insert(id.to_string(), (json!(0.0), json!(1.0), "running"));
        self.progress_state();
        if let Some(r) = self.shared.lock().running.as_mut() {
            r.last_node = Some(id.to_string());
        }
        self.shared.bump();
        let pid = self.pid().to_string();
        self.send_client(
            "executing",
            &json!({"node": id, "display_node": id, "prompt_id": pid}),
        );
        let interrupted = |s: &Self| {
            s.interrupted().then(|| Stop::Interrupted {
                node: id.to_string(),
            })
        };
        if let Some(stop) = interrupted(self) {
            return Err(stop);
        }
        if fault.hang == Some(HangPoint::AtNode(id.to_string())) && self.hang().await {
            return Err(Stop::Interrupted {
                node: id.to_string(),
            });
        }
        if let Some(spec) = fault.error.as_ref().filter(|e| e.node_id == id) {
            return Err(Stop::Error(spec.clone(), literal_inputs(&inputs)));
        }
        if let Some(file) = input_file_of(&class, &self.item.prompt, id) {
            let path = annotated_path(self.shared, &file);
            if !path.is_file() {
                let spec = ExecErrorSpec {
                    node_id: id.to_string(),
                    exception_type: "FileNotFoundError".into(),
                    exception_message: format!(
                        "[Errno 2] No such file or directory: {}\n",
                        pyrepr::repr_str(&path.to_string_lossy())
                    ),
                    traceback: None,
                };
                return Err(Stop::Error(spec, literal_inputs(&inputs)));
            }
        }

        let exec_ms = self.shared.exec_ms();
        let mut finished = (json!(1.0), json!(1.0));
        if let Some((steps, previews)) = progress_plan(&class, &inputs) {
            let per_step = Duration::from_millis((exec_ms * 2 / steps).max(1));
            for step in 1..=steps {
                if self.pace(per_step).await {
                    return Err(Stop::Interrupted {
                        node: id.to_string(),
                    });
                }
                self.progress
                    .insert(id.to_string(), (json!(step), json!(steps), "running"));
                self.progress_state();
                let (with_meta, legacy) = if previews {
                    self.preview_frames(id)
                } else {
                    (None, None)
                };
                if let Some(b) = with_meta {
                    self.send_binary(b);
                }
                self.send_sync(
                    "progress",
                    &json!({"value": step, "max": steps, "prompt_id": pid, "node": id}),
                );
                if let Some(b) = legacy {
                    self.send_binary(b);
                }
            }
            finished = (json!(steps), json!(steps));
        } else if self.pace(Duration::from_millis(exec_ms)).await {
            return Err(Stop::Interrupted {
                node: id.to_string(),
            });
        }

        if let Some(kind) = outputs::output_kind(&class).filter(|_| !fault.no_outputs) {
            let duplicate = fault.duplicate_output_in.as_deref();
            let ui = self
                .write_outputs(kind, &inputs, duplicate)
                .await
                .map_err(|msg| {
                    Stop::Error(
                        ExecErrorSpec {
                            node_id: id.to_string(),
                            exception_type: "Exception".into(),
                            exception_message: msg,
                            traceback: None,
                        },
                        literal_inputs(&inputs),
                    )
                })?;
            self.send_client(
                "executed",
                &json!({"node": id, "display_node": id, "output": ui, "prompt_id": pid}),
            );
            self.ui.insert(id.to_string(), ui);
        }
        self.progress
            .insert(id.to_string(), (finished.0, finished.1, "finished"));
        self.progress_state();
        self.executed.push(id.to_string());
        Ok(())
    }

    async fn write_outputs(
        &self,
        kind: OutputKind,
        inputs: &Value,
        duplicate_in: Option<&str>,
    ) -> Result<Value, String> {
        let prefix_input = inputs.get("filename_prefix").and_then(Value::as_str);
        let vhs_to_temp = kind == OutputKind::VhsVideo
            && inputs.get("save_output").and_then(Value::as_bool) == Some(false);
        let (base, prefix) = match kind {
            OutputKind::Video => (
                &self.shared.dirs.output,
                prefix_input.unwrap_or("video/ComfyUI").to_string(),
            ),
            OutputKind::Image => (
                &self.shared.dirs.output,
                prefix_input.unwrap_or("ComfyUI").to_string(),
            ),
            OutputKind::Preview => (&self.shared.dirs.temp, outputs::temp_prefix()),
            OutputKind::VhsVideo => (
                if vhs_to_temp {
                    &self.shared.dirs.temp
                } else {
                    &self.shared.dirs.output
                },
                prefix_input.unwrap_or("AnimateDiff").to_string(),
            ),
        };
        let sp = outputs::save_path(base, &prefix)?;
        let io = |e: std::io::Error| e.to_string();
        tokio::fs::create_dir_all(&sp.folder).await.map_err(io)?;
        if kind == OutputKind::VhsVideo {
            let counter = outputs::vhs_counter(&sp.folder, &sp.filename);
            let audio = inputs.get("audio").and_then(link_of).is_some();
            let stem = format!("{}_{counter:05}", sp.filename);
            let file = format!("{stem}{}.mp4", if audio { "-audio" } else { "" });
            let workflow = format!("{stem}.png");
            let path = sp.folder.join(&file);
            tokio::fs::copy(&self.shared.captures.sample_output_mp4, &path)
                .await
                .map_err(io)?;
            tokio::fs::write(sp.folder.join(&workflow), &self.shared.image_png)
                .await
                .map_err(io)?;
            let frame_rate = inputs
                .get("frame_rate")
                .and_then(Value::as_f64)
                .unwrap_or(8.0);
            return Ok(json!({"gifs": [{
                "filename": file,
                "subfolder": sp.subfolder,
                "type": if vhs_to_temp { "temp" } else { "output" },
                "format": inputs.get("format").cloned().unwrap_or(json!("video/h264-mp4")),
                "frame_rate": frame_rate,
                "workflow": workflow,
                "fullpath": path.to_string_lossy(),
            }]}));
        }
        let ext = if kind == OutputKind::Video {
            "mp4"
        } else {
            "png"
        };
        let file = format!("{}_{:05}_.{ext}", sp.filename, sp.counter);
        let path = sp.folder.join(&file);
        if kind == OutputKind::Video {
            tokio::fs::copy(&self.shared.captures.sample_output_mp4, &path)
                .await
                .map_err(io)?;
        } else {
            tokio::fs::write(&path, &self.shared.image_png)
                .await
                .map_err(io)?;
        }
        let mut files = vec![(file.clone(), sp.subfolder.clone())];
        if let Some(sub) = duplicate_in.filter(|_| kind != OutputKind::Preview) {
            // Same name, other folder, other bytes (still valid media: the video gets a
            // trailing `free` box, the image is another PNG).
            let other = outputs::save_path(base, &format!("{sub}/{}", sp.filename))?;
            tokio::fs::create_dir_all(&other.folder).await.map_err(io)?;
            let bytes = if kind == OutputKind::Video {
                let mut v = tokio::fs::read(&self.shared.captures.sample_output_mp4)
                    .await
                    .map_err(io)?;
                v.extend_from_slice(b"\0\0\0\x08free");
                v
            } else {
                self.shared.preview_png.clone()
            };
            tokio::fs::write(other.folder.join(&file), bytes)
                .await
                .map_err(io)?;
            files.push((file, other.subfolder));
        }
        Ok(outputs::ui_for(kind, &files))
    }
}
