//! The real app window under Xvfb, driven through tauri-driver + WebKitWebDriver: it opens,
//! shows the shell, and Settings adds, lists, re-defaults and removes servers through the core.
//!
//! Run: `bash scripts/build-ui.sh && cargo build -p animatrix-studio && cargo test -p animatrix-e2e --test window`
//! (with a keychain: wrap in `dbus-run-session` + gnome-keyring, see docs). Screenshots land in
//! `test-output/window/`.

use std::time::{Duration, Instant};

use animatrix_core::Studio;
use animatrix_e2e::studio_env::plan_settled;
use animatrix_e2e::window::{self, AppSession, LaunchOptions, testid_css};

const TITLE: &str = "Animatrix Studio";

fn row_css(name: &str) -> String {
    format!("[data-testid=\"endpoint-row\"][data-name=\"{name}\"]")
}

async fn row_text(app: &AppSession, name: &str, field: &str) -> String {
    app.find_css(&format!("{} {}", row_css(name), testid_css(field)))
        .await
        .unwrap_or_else(|e| panic!("{field} of row {name}: {e}"))
        .text()
        .await
        .expect("row text")
}

#[tokio::test(flavor = "current_thread")]
async fn window_settings_add_endpoint_and_read_it_back() {
    let Some(prereqs) =
        window::prerequisites_or_skip("window_settings_add_endpoint_and_read_it_back")
    else {
        return;
    };
    let app = AppSession::launch(&prereqs, LaunchOptions::default())
        .await
        .expect("launch the app under WebDriver");

    // --- The shell paints: composer, runs, honest Generate state.
    app.find("composer").await.expect("composer shows");
    let painted = Instant::now();
    let timings = app.timings(painted).await;
    eprintln!(
        "first paint: session {} ms, first element {} ms, first-contentful-paint {}",
        timings.session_ms,
        timings.first_element_ms,
        timings
            .first_contentful_paint_ms
            .map_or("not reported".to_string(), |ms| format!("{ms:.0} ms")),
    );
    let timings_file = window::test_output_dir().join("timings.txt");
    std::fs::create_dir_all(window::test_output_dir()).expect("output dir");
    std::fs::write(&timings_file, format!("{timings:?}\n")).expect("write timings");

    assert_eq!(app.client.title().await.expect("document title"), TITLE);
    let titles = native_titles_eventually(&app.display).await;
    assert!(
        titles.iter().any(|t| t == TITLE),
        "no X window titled {TITLE:?}; titles on {}: {titles:?}",
        app.display
    );

    app.find_css("main[data-ready=\"true\"]")
        .await
        .expect("endpoints loaded");
    // A fresh install shows the bundled sample run (marked Demo) instead of an empty gallery.
    app.find_css("[data-testid=\"run-card\"][data-demo=\"true\"]")
        .await
        .expect("the sample demo run is in the gallery on first run");
    let generate = app.find("generate").await.expect("generate button");
    assert!(
        !generate.is_enabled().await.expect("enabled state"),
        "Generate is disabled until the inputs are there"
    );
    // The core's plan of the untouched form names the first missing input, calmly, next to
    // Generate (the composer shows no warning yet, checked below).
    plan_settled(&app).await;
    let hint = app.text("generate-hint").await.expect("hint");
    assert!(
        hint.contains("Ground Truth"),
        "Generate hint must say what is missing: {hint:?}"
    );
    app.click("mode-audio").await.expect("switch to Audio");
    app.find("slot-audio")
        .await
        .expect("Audio mode asks for audio");
    assert!(!app.exists("slot-motion_video").await.expect("query"));
    app.click("mode-animate")
        .await
        .expect("switch back to Animate");
    app.find("slot-motion_video")
        .await
        .expect("Animate asks for a motion video");
    plan_settled(&app).await;
    let shot = app.screenshot("studio").await.expect("studio screenshot");
    eprintln!("screenshot: {}", shot.display());

    // --- A calm composer in every studio of the catalog: nothing said in warning colour before
    // the user did anything, and every chip label whole at 1280x800 (no "Ground Tr…").
    let modes = app
        .eval(
            "return [...document.querySelectorAll('input[type=radio][data-testid^=\"mode-\"]')]\
             .map(e => e.getAttribute('data-testid'));",
        )
        .await
        .expect("modes");
    let modes: Vec<String> = modes
        .as_array()
        .expect("mode list")
        .iter()
        .filter_map(|m| m.as_str().map(String::from))
        .collect();
    assert!(modes.len() >= 4, "every studio on the switch: {modes:?}");
    for mode in &modes {
        app.click(mode).await.expect("switch studio");
        plan_settled(&app).await;
        let seen = app
            .eval(
                "return {warnings: [...document.querySelectorAll('[data-testid^=\"warning-\"]')]\
                   .map(w => w.textContent),\
                 cut: [...document.querySelectorAll('.chip-label')]\
                   .filter(l => l.scrollWidth > l.clientWidth + 1 || l.scrollHeight > l.clientHeight + 1\
                     || getComputedStyle(l).textOverflow === 'ellipsis').map(l => l.textContent),\
                 chips: document.querySelectorAll('.chip-label').length};",
            )
            .await
            .expect("composer state");
        assert_eq!(
            seen["warnings"],
            serde_json::json!([]),
            "{mode}: no warning on an untouched form"
        );
        assert_eq!(
            seen["cut"],
            serde_json::json!([]),
            "{mode}: chip labels cut"
        );
        assert!(seen["chips"].as_u64().unwrap_or(0) >= 2, "{mode}: {seen}");
        let shot = app
            .screenshot(&format!("studio-{}", mode.trim_start_matches("mode-")))
            .await
            .expect("screenshot");
        eprintln!("screenshot: {}", shot.display());
    }
    app.click("mode-animate").await.expect("back to Animate");

    // --- Settings: the seeded default endpoint comes from the core through list_endpoints.
    app.click("nav-settings").await.expect("open settings");
    app.find_css(&row_css("production"))
        .await
        .expect("seeded production endpoint listed");
    assert!(
        app.find_css(&format!(
            "{} {}",
            row_css("production"),
            testid_css("endpoint-default-badge")
        ))
        .await
        .is_ok(),
        "fresh install: production is the default"
    );
    let shown_dir = app.text("app-data-dir").await.expect("data dir shown");
    assert_eq!(
        std::path::Path::new(&shown_dir),
        app.data_dir(),
        "the app must use ANIMATRIX_DATA_DIR given to tauri-driver"
    );

    // --- Add an endpoint without auth, through the form, and read it back from the list.
    app.type_into("endpoint-form-name", "e2e-lab")
        .await
        .expect("name");
    app.type_into("endpoint-form-url", "http://gpu.lab.test:8188/")
        .await
        .expect("url");
    app.select("endpoint-form-auth", "none")
        .await
        .expect("auth none");
    app.click("endpoint-form-submit").await.expect("submit");
    app.find_css(&row_css("e2e-lab"))
        .await
        .expect("e2e-lab listed");
    assert_eq!(
        row_text(&app, "e2e-lab", "endpoint-url").await,
        "http://gpu.lab.test:8188"
    );
    assert_eq!(
        row_text(&app, "e2e-lab", "endpoint-auth").await,
        "No authentication"
    );
    assert!(
        app.text("endpoint-form-status")
            .await
            .expect("status")
            .contains("Added e2e-lab"),
        "the form confirms the addition"
    );

    // --- A duplicate name is refused in the form before reaching the core.
    app.type_into("endpoint-form-name", "e2e-lab")
        .await
        .expect("name");
    app.type_into("endpoint-form-url", "https://other.example")
        .await
        .expect("url");
    app.click("endpoint-form-submit").await.expect("submit");
    assert!(
        app.text("endpoint-form-name-error")
            .await
            .expect("name error")
            .contains("already exists")
    );
    app.type_into("endpoint-form-name", "")
        .await
        .expect("clear name");
    app.type_into("endpoint-form-url", "")
        .await
        .expect("clear url");

    // --- A bearer endpoint with a secret: stored in the keychain when there is one, otherwise
    // the form must say the keychain is unreachable and how to fix it (never a plain-text file).
    let keychain_problem = app.exists("keychain-problem").await.expect("query");
    let secret = format!("e2e-secret-{}", std::process::id());
    app.type_into("endpoint-form-name", "e2e-bearer")
        .await
        .expect("name");
    app.type_into("endpoint-form-url", "https://gpu.lab.test")
        .await
        .expect("url");
    app.select("endpoint-form-auth", "bearer")
        .await
        .expect("auth bearer");
    app.type_into("endpoint-form-secret", &secret)
        .await
        .expect("secret");
    app.click("endpoint-form-submit").await.expect("submit");
    if keychain_problem {
        eprintln!("keychain: not reachable in this environment, checking the error path");
        let code = app
            .find("endpoint-form-error")
            .await
            .expect("keychain error shown")
            .attr("data-code")
            .await
            .expect("code");
        assert_eq!(code.as_deref(), Some("keychain_unavailable"));
        assert!(
            !app.text("endpoint-form-error-suggestion")
                .await
                .expect("suggestion")
                .is_empty()
        );
        wait_for_log_line(app.data_dir(), "keychain_unavailable").await;
        assert!(
            app.find_all_css(&row_css("e2e-bearer"))
                .await
                .expect("query")
                .is_empty(),
            "no endpoint without its secret"
        );
    } else {
        eprintln!("keychain: reachable, checking the secret round trip");
        app.find_css(&row_css("e2e-bearer"))
            .await
            .expect("e2e-bearer listed");
        assert_eq!(
            row_text(&app, "e2e-bearer", "endpoint-auth").await,
            "Bearer token"
        );
        assert_eq!(
            row_text(&app, "e2e-bearer", "endpoint-secret-state").await,
            "Secret stored in keychain"
        );
        // The form starts over: no secret field, nothing typed left in the page.
        assert!(!app.exists("endpoint-form-secret").await.expect("query"));
        let auth = app.find("endpoint-form-auth").await.expect("auth select");
        assert_eq!(
            auth.prop("value").await.expect("value").as_deref(),
            Some("none")
        );
        assert!(
            !app.client
                .source()
                .await
                .expect("page source")
                .contains(&secret),
            "the secret must never be shown back in the page"
        );
        let studio = Studio::open(app.data_dir().to_path_buf()).expect("open the app's data dir");
        let view = studio
            .endpoint(Some("e2e-bearer"))
            .await
            .expect("stored endpoint");
        assert!(view.has_secret);
        let stored = animatrix_core::secrets::load(&view.name)
            .expect("keychain read")
            .expect("secret stored");
        assert_eq!(
            secrecy_expose(&stored),
            secret,
            "the keychain holds what was typed"
        );
        // The app logs to <data dir>/logs; wait for the addition's line so the scan covers it.
        wait_for_log_line(app.data_dir(), "e2e-bearer").await;
        assert_no_file_contains(app.data_dir(), &secret);
    }
    let shot = app
        .screenshot("settings-added")
        .await
        .expect("settings screenshot");
    eprintln!("screenshot: {}", shot.display());

    // --- Make e2e-lab the default, then remove the production endpoint (with confirmation).
    app.find_css(&format!(
        "{} {}",
        row_css("e2e-lab"),
        testid_css("endpoint-make-default")
    ))
    .await
    .expect("make-default button")
    .click()
    .await
    .expect("click make default");
    app.find_css(&format!(
        "{} {}",
        row_css("e2e-lab"),
        testid_css("endpoint-default-badge")
    ))
    .await
    .expect("e2e-lab is now the default");
    app.find_css(&format!(
        "{} {}",
        row_css("production"),
        testid_css("endpoint-remove")
    ))
    .await
    .expect("remove button")
    .click()
    .await
    .expect("click remove");
    app.find_css(&format!(
        "{} {}",
        row_css("production"),
        testid_css("endpoint-remove-confirm")
    ))
    .await
    .expect("confirm button")
    .click()
    .await
    .expect("confirm remove");
    app.wait_gone_css(&row_css("production"))
        .await
        .expect("production removed");

    // --- The core's store agrees with what the window shows.
    let studio = Studio::open(app.data_dir().to_path_buf()).expect("open the app's data dir");
    let stored = studio.list_endpoints().await.expect("list");
    let lab = stored
        .iter()
        .find(|e| e.name == "e2e-lab")
        .expect("e2e-lab stored");
    assert!(
        lab.is_default && lab.base_url == "http://gpu.lab.test:8188",
        "{lab:?}"
    );
    assert!(!stored.iter().any(|e| e.name == "production"), "{stored:?}");

    let shot = app
        .screenshot("settings")
        .await
        .expect("settings screenshot");
    eprintln!("screenshot: {}", shot.display());
    if !keychain_problem {
        studio
            .remove_endpoint("e2e-bearer")
            .await
            .expect("clean the keychain entry");
    }
    app.close().await;
}

/// GTK sets the title right after mapping the window; give the X server a moment.
async fn native_titles_eventually(display: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let titles = window::window_titles(display).expect("read X window titles");
        if titles.iter().any(|t| t == TITLE) || Instant::now() > deadline {
            return titles;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn secrecy_expose(secret: &secrecy::SecretString) -> String {
    use secrecy::ExposeSecret;
    secret.expose_secret().to_string()
}

/// Waits until the app's log file (written by a background thread) contains `needle`.
async fn wait_for_log_line(data_dir: &std::path::Path, needle: &str) {
    let logs = data_dir.join("logs");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found = std::fs::read_dir(&logs)
            .into_iter()
            .flatten()
            .flatten()
            .any(|entry| {
                std::fs::read_to_string(entry.path()).is_ok_and(|text| text.contains(needle))
            });
        if found {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the app's log in {} never mentioned {needle:?}",
            logs.display()
        );
        // The log writer flushes from its own thread; there is no event to wait on.
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The secret must live only in the keychain: not in the database, settings or logs.
fn assert_no_file_contains(dir: &std::path::Path, needle: &str) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "secret found in {}",
                    path.display()
                );
            }
        }
    }
}

/// Light/dark follows the OS (GTK's dark theme preference reaches `prefers-color-scheme` and
/// the colours switch), and the shell works from the keyboard: Tab reaches the navigation with a
/// visible focus ring, Enter opens Settings and puts focus on its heading.
#[tokio::test(flavor = "current_thread")]
async fn window_keyboard_and_dark_theme() {
    let Some(prereqs) = window::prerequisites_or_skip("window_keyboard_and_dark_theme") else {
        return;
    };
    let options = LaunchOptions {
        env: vec![("GTK_THEME".into(), "Adwaita:dark".into())],
        ..LaunchOptions::default()
    };
    let app = AppSession::launch(&prereqs, options).await.expect("launch");
    app.find_css("main[data-ready=\"true\"]")
        .await
        .expect("endpoints loaded");
    let dark = app
        .client
        .execute(
            "return [matchMedia('(prefers-color-scheme: dark)').matches,\
                     getComputedStyle(document.body).backgroundColor];",
            vec![],
        )
        .await
        .expect("read the colour scheme");
    assert_eq!(
        dark[0],
        serde_json::Value::Bool(true),
        "GTK dark theme not seen: {dark}"
    );
    // --bg in dark mode is #121218.
    assert_eq!(dark[1], "rgb(18, 18, 24)", "{dark}");
    let shot = app.screenshot("studio-dark").await.expect("screenshot");
    eprintln!("screenshot: {}", shot.display());

    // Tab order from the top: skip link, Studio, Settings.
    let mut order = Vec::new();
    for _ in 0..3 {
        press(&app, TAB).await;
        order.push(focused(&app).await);
    }
    assert_eq!(
        order,
        ["skip-link", "nav-studio", "nav-settings"],
        "Tab order"
    );
    let outline = app
        .client
        .execute(
            "return getComputedStyle(document.activeElement).outlineStyle;",
            vec![],
        )
        .await
        .expect("outline");
    assert_eq!(outline, "solid", "keyboard focus must be visible");
    let shot = app.screenshot("focus-dark").await.expect("screenshot");
    eprintln!("screenshot: {}", shot.display());

    press(&app, ENTER).await;
    app.find("settings-servers")
        .await
        .expect("Enter opened Settings");
    let heading = app
        .client
        .execute("return document.activeElement.id;", vec![])
        .await
        .expect("active element");
    assert_eq!(
        heading, "settings-heading",
        "focus moves to the new view's heading"
    );
    app.close().await;
}

const TAB: &str = "\u{e004}";
const ENTER: &str = "\u{e007}";

/// Sends one key to whatever has focus, as a user would.
async fn press(app: &AppSession, key: &str) {
    app.client
        .active_element()
        .await
        .expect("active element")
        .send_keys(key)
        .await
        .expect("send key");
}

/// The `data-testid` of the focused element.
async fn focused(app: &AppSession) -> String {
    app.client
        .execute(
            "return document.activeElement.getAttribute('data-testid') || document.activeElement.tagName;",
            vec![],
        )
        .await
        .expect("active element")
        .as_str()
        .unwrap_or_default()
        .to_string()
}
