import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { initLatency } from './lib/latency';

// Created at startup so an end-to-end test can read it before the first event.
initLatency();

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');

export default mount(App, { target });
