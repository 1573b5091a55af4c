/**
 * Polling for a condition that something in the background will make true: the one `waitFor`
 * of the tests is the one the conformance suites export (it throws, naming what it waited for).
 */
export { waitFor } from '../../src/conformance/block-store/fixture.js'
