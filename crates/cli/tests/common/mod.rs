//! What the job tests share: the CLI binary against a fake ComfyUI in this process, with a
//! real SQLite data dir per test.

#![allow(dead_code)] // each test binary uses its own part

use std::path::{Path, PathBuf};
use std::process::Output;

use fake_comfy::{FakeComfy, FakeComfyHandle};
use serde_json::Value;

pub struct Env {
    pub dir: tempfile::TempDir,
    pub fake: FakeComfyHandle,
}

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
        .display()
        .to_string()
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_animatrix"))
}

impl Env {
    pub async fn new(exec_ms: u64) -> Env {
        let fake = FakeComfy::builder()
            .exec_ms(exec_ms)
            .start()
            .await
            .expect("fake starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let env = Env { dir, fake };
        let out = env
            .run(&["endpoint", "add", "fake", &env.fake.base_url(), "--default"])
            .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        env
    }

    pub fn cmd(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(bin());
        c.args(args)
            .env("ANIMATRIX_DATA_DIR", self.dir.path())
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true);
        c
    }

    pub async fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().await.expect("cli runs")
    }

    pub async fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args).await;
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{args:?}: {e}\nstdout {}\nstderr {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    pub async fn submit_audio(&self, extra: &[&str]) -> Output {
        let image = fixture("character.png");
        let audio = fixture("speech.wav");
        let mut args = vec!["submit", "--json"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "audio",
            "--image",
            &image,
            "--audio",
            &audio,
            "--prompt",
            "a knight singing opera",
            "--profile",
            "draft",
        ]);
        self.run(&args).await
    }

    pub async fn jobs(&self) -> Vec<Value> {
        self.json(&["jobs", "--json", "--limit", "100"])
            .await
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    pub async fn show(&self, id: &str) -> Value {
        self.json(&["show", id, "--json"]).await
    }

    pub fn integrity_ok(&self) {
        let conn =
            rusqlite::Connection::open(self.dir.path().join("animatrix.sqlite3")).expect("db");
        let r: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .expect("integrity_check");
        assert_eq!(r, "ok");
    }
}

pub fn last_json_line(out: &Output) -> Value {
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .unwrap_or_else(|| {
            panic!(
                "no JSON on stdout: {text}\nstderr {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    serde_json::from_str(line).expect("json line")
}

pub fn job_id_of(out: &Output) -> String {
    last_json_line(out)["job_id"]
        .as_str()
        .expect("job_id")
        .to_string()
}
