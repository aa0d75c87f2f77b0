//! History benchmark (issue 7): 100 000 jobs, first gallery page and prompt search, timed through
//! the core and, as the reference, the same SQL through the `sqlite3` CLI on the same file.
//!
//! Run: `scripts/bench-history.sh` (or `cargo run --release -p animatrix-core --example bench_history`).

use std::process::Command;
use std::time::Instant;

use animatrix_core::jobs::{JobQuery, repo};

const JOBS: usize = 100_000;
const RUNS: usize = 30;

const WORDS: &[&str] = &[
    "knight",
    "dancer",
    "singer",
    "robot",
    "astronaut",
    "chef",
    "pirate",
    "wizard",
    "opera",
    "smiling",
    "waving",
    "jumping",
    "walking",
    "neon",
    "forest",
    "city",
    "beach",
    "studio",
    "portrait",
    "cinematic",
    "golden",
    "hour",
    "rain",
    "snow",
    "red",
    "blue",
    "jacket",
    "dress",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut conn = animatrix_core::store::open(dir.path())?;
    let t = Instant::now();
    seed(&mut conn)?;
    println!("seeded {JOBS} jobs in {:.1} s", t.elapsed().as_secs_f64());

    let first_page = JobQuery::default();
    let search = JobQuery {
        search: Some("opera sing".into()),
        ..Default::default()
    };
    let ours_page = median_ms(|| repo::list(&conn, &first_page).map(|p| p.jobs.len()))?;
    let ours_search = median_ms(|| repo::list(&conn, &search).map(|p| p.jobs.len()))?;
    let n = repo::list(&conn, &search)?.jobs.len();

    let db = animatrix_core::store::db_path(dir.path());
    let page_sql = "SELECT * FROM jobs j ORDER BY j.created_at DESC, j.id DESC LIMIT 31;";
    let search_sql = "SELECT j.* FROM jobs_fts f JOIN jobs j ON j.rowid = f.rowid WHERE jobs_fts MATCH '\"opera\" \"sing\"*' ORDER BY f.rowid DESC LIMIT 31;";
    let ref_page = sqlite3_median_ms(&db, page_sql)?;
    let ref_search = sqlite3_median_ms(&db, search_sql)?;

    println!(
        "first page (30 cards): core {ours_page:.3} ms | sqlite3 CLI {ref_page:.3} ms | ratio {:.2}x | goal < 10 ms",
        ours_page / ref_page
    );
    println!(
        "prompt search ({n} shown): core {ours_search:.3} ms | sqlite3 CLI {ref_search:.3} ms | ratio {:.2}x | goal < 20 ms",
        ours_search / ref_search
    );
    Ok(())
}

fn seed(conn: &mut rusqlite::Connection) -> Result<(), Box<dyn std::error::Error>> {
    let tx = conn.transaction()?;
    {
        let mut stmt = tx.prepare(
            "INSERT INTO jobs (id, comfy_prompt_id, client_id, endpoint_name, mode, template_name,
               template_version, profile, aspect, prompt, settings_json, state, created_at, updated_at)
             VALUES (?1, ?2, 'bench', 'lab', ?3, ?4, '1.0.0', 'standard', '9:16', ?5, ?8, ?6, ?7, ?7)",
        )?;
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            // xorshift: deterministic prompts without a rand dependency in the core.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for i in 0..JOBS {
            let prompt: Vec<&str> = (0..8)
                .map(|_| WORDS[(next() % WORDS.len() as u64) as usize])
                .collect();
            let mode = if i % 3 == 0 { "audio" } else { "animate" };
            let state = ["completed", "completed", "completed", "failed", "cancelled"][i % 5];
            stmt.execute(rusqlite::params![
                format!("job-{i:08}"),
                format!("prompt-{i:08}"),
                mode,
                format!("{mode}_bench"),
                prompt.join(" "),
                state,
                1_700_000_000_000_i64 + i as i64 * 1000,
                format!(
                    r#"{{"settings":{{"template":"{mode}_bench","prompt":"{}"}},"inputs":[]}}"#,
                    prompt.join(" ")
                ),
            ])?;
        }
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE;")?;
    Ok(())
}

fn median_ms<T, E>(mut f: impl FnMut() -> Result<T, E>) -> Result<f64, E> {
    f()?; // warm the statement cache and page cache, as a running app would be
    let mut times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let t = Instant::now();
            f().map(|_| t.elapsed().as_secs_f64() * 1000.0)
        })
        .collect::<Result<_, _>>()?;
    times.sort_by(f64::total_cmp);
    Ok(times[RUNS / 2])
}

/// The sqlite3 CLI's own `.timer` has 1 ms resolution, too coarse here, so the reference is
/// timed from outside: one process running the query K times minus one running it zero times
/// (start-up and open cost), divided by K. Best of 5 each.
fn sqlite3_median_ms(db: &std::path::Path, sql: &str) -> Result<f64, Box<dyn std::error::Error>> {
    const K: usize = 100;
    let run = |n: usize| -> Result<f64, Box<dyn std::error::Error>> {
        let mut script = String::from(".output /dev/null\n");
        for _ in 0..n {
            script.push_str(sql);
            script.push('\n');
        }
        let mut best = f64::MAX;
        for _ in 0..5 {
            let t = Instant::now();
            let mut child = Command::new("sqlite3")
                .arg(db)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()?;
            if let Some(mut stdin) = child.stdin.take() {
                std::io::Write::write_all(&mut stdin, script.as_bytes())?;
            }
            let out = child.wait_with_output()?;
            if !out.status.success() || !out.stderr.is_empty() {
                return Err(
                    format!("sqlite3 failed: {}", String::from_utf8_lossy(&out.stderr)).into(),
                );
            }
            best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        }
        Ok(best)
    };
    let with = run(K)?;
    let without = run(0)?;
    Ok(((with - without) / K as f64).max(0.001))
}
