// Shapes exchanged with the Tauri commands (src-tauri/src/commands). Field names follow the
// Rust structs' serde names (snake_case), so nothing is renamed on either side.

/** The one error shape every command returns (animatrix_common::UserError). */
export interface UserError {
  code: string;
  message: string;
  suggestion: string;
  detail?: string;
}

/** animatrix_core::AuthKind, serde `tag = "kind"`, snake_case. */
export type AuthKind =
  | { kind: 'none' }
  | { kind: 'bearer' }
  | { kind: 'basic' }
  | { kind: 'header'; name: string };

export type AuthKindName = AuthKind['kind'];

/** animatrix_core::EndpointView: what the UI may know about an endpoint. Never the secret. */
export interface EndpointView {
  name: string;
  base_url: string;
  auth: AuthKind;
  is_default: boolean;
  has_secret: boolean;
}

/** Argument of the `add_endpoint` command. */
export interface AddEndpointRequest {
  name: string;
  base_url: string;
  auth: AuthKind;
  make_default: boolean;
  /** Goes straight to the OS keychain through the core; `null` when the auth kind needs none. */
  secret: string | null;
}

/** Result of the `app_info` command. */
export interface AppInfo {
  version: string;
  data_dir: string;
  /** `null` when the OS keychain answers; otherwise why not and how to fix it. */
  keychain_problem: UserError | null;
}

export type Mode = 'animate' | 'audio';
