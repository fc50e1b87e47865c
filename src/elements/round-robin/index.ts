/**
 * `round-robin`: rotates among the candidates `discover` found (NSM `common/roundrobin`).
 * @module
 */
export { roundRobinServer } from './round-robin.js';
