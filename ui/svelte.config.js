import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';

export default {
  preprocess: vitePreprocess(),
  compilerOptions: {
    // Component CSS goes to the bundled .css file, never a runtime <style> tag (CSP style-src 'self').
    css: 'external',
  },
};
