//! A fake ComfyUI 0.3.64 server for tests (being built)
