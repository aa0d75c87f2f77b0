// Test helper (not a test file itself): a deeply reactive copy of a value, as a parent
// component's `$state` would pass it to a child's `bind:` prop.
export function reactive<T extends object>(value: T): T {
  const state = $state(value);
  return state;
}
