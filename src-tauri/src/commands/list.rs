// The ONE list of the commands the window may call, as `module::command`.
//
// It is expanded three times, so the three can never disagree:
// - `build.rs` turns it into the names Tauri's ACL knows (each command gets `allow-<name>`);
// - `commands/mod.rs` turns it into `COMMANDS`, the invoke handler and the TypeScript bindings
//   (`ui/src/lib/bindings.ts`: every type and one wrapper per command);
// - `tests/contract.rs` regenerates `capabilities/default.json` and the bindings from it and
//   fails when the committed files differ.
//
// Adding a command: write it (with `#[tauri::command]` and `#[specta::specta]`) in its area
// module, add it here, then refresh the generated files:
//   ANIMATRIX_WRITE_CONTRACT=1 cargo test -p animatrix-studio --test contract
app_commands![
    app::app_info,
    app::subscribe,
    endpoints::list_endpoints,
    endpoints::add_endpoint,
    endpoints::update_endpoint,
    endpoints::remove_endpoint,
    endpoints::set_default_endpoint,
    pools::list_pools,
    pools::create_pool,
    pools::add_pool_member,
    pools::remove_pool_member,
    pools::update_pool_settings,
    pools::delete_pool,
    pools::set_default_target,
    pools::pool_detail,
    pools::wait_estimate,
    operator::test_endpoint,
    inputs::pick_inputs,
    inputs::import_input,
    templates::list_templates,
    templates::preflight,
    jobs::submit_job,
    jobs::plan_job,
    jobs::list_jobs,
    jobs::job_detail,
    jobs::cancel_job,
    jobs::retry_job,
    jobs::replay_job,
    jobs::reveal_job,
    jobs::export_video,
    operator::server_queue,
    operator::metrics,
    operator::server_metrics,
    operator::open_log_folder,
    demo::demo_settings,
    demo::set_demo_settings,
    demo::demo_export,
    demo::demo_import,
    demo::demo_timeline,
    demo::demo_perform,
    demo::demo_stop,
    sharing::storage_settings,
    sharing::set_storage,
    sharing::test_storage,
    sharing::clear_storage,
    sharing::publish_job,
    sharing::unpublish_job,
    sharing::publication,
    sharing::share_link,
    sharing::library_list,
    sharing::library_import,
];
