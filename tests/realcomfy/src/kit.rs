//! Where the kit and its build live, and whether a level is built.

use std::path::PathBuf;

/// Set to `1` (CI, the project's test command) to make a missing kit a test failure instead of
/// a skip.
pub const REQUIRE_ENV: &str = "ANIMATRIX_REQUIRE_REALCOMFY";

/// What to run when the kit is missing or built for other templates.
pub const SETUP_HINT: &str = "run scripts/realcomfy-setup.sh from the repository root";

/// The two servers the kit builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// Pristine ComfyUI + placeholder models: prompts validate, loading a model fails.
    L1,
    /// Stand-in patches + tiny random-weight models: graphs execute.
    L2,
}

impl Level {
    /// The name `start.sh` and the kit's folders use.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::L1 => "l1",
            Level::L2 => "l2",
        }
    }
}

/// The repository root (this crate sits at `tests/realcomfy`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The kit: `REALCOMFY_KIT`, else `../shared/realcomfy` beside the repository.
pub fn kit_dir() -> PathBuf {
    std::env::var_os("REALCOMFY_KIT")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/realcomfy"))
}

/// Where `setup.sh` builds: `REALCOMFY_HOME`, else `~/.cache/animatrix-realcomfy` (the kit's
/// default; never inside the repository).
pub fn realcomfy_home() -> PathBuf {
    if let Some(home) = std::env::var_os("REALCOMFY_HOME") {
        return PathBuf::from(home);
    }
    let user_home = std::env::var_os("HOME").map_or_else(|| PathBuf::from("/"), PathBuf::from);
    user_home.join(".cache/animatrix-realcomfy")
}

/// The first file a built `level` must have that is missing, if any.
pub fn missing_piece(level: Level) -> Option<PathBuf> {
    let home = realcomfy_home();
    [
        kit_dir().join("start.sh"),
        home.join("venv/bin/python"),
        home.join(level.as_str()).join("ComfyUI/main.py"),
    ]
    .into_iter()
    .find(|p| !p.is_file())
}

/// True when `setup.sh` has built `level`.
pub fn is_built(level: Level) -> bool {
    missing_piece(level).is_none()
}

/// Whether a test that needs `level` should run: true when it is built. When it is not, the
/// test fails if [`REQUIRE_ENV`] is `1` (so CI never passes by skipping), and is skipped with a
/// printed reason otherwise.
///
/// # Panics
/// When the kit is not built and [`REQUIRE_ENV`] is `1`.
pub fn require(level: Level) -> bool {
    let Some(missing) = missing_piece(level) else {
        return true;
    };
    let required = std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{REQUIRE_ENV}=1 but the real-ComfyUI kit ({}) is not built: {} is missing; {SETUP_HINT}",
        level.as_str(),
        missing.display()
    );
    eprintln!(
        "skipped: the real-ComfyUI kit ({}) is not built ({} is missing); {SETUP_HINT} \
         (set {REQUIRE_ENV}=1 to make this a failure)",
        level.as_str(),
        missing.display()
    );
    false
}
