/**
 * `point2point-ipam`: a point-to-point address pair per connection (NSM `ipam/point2pointipam`).
 * @module
 */
export { point2pointIpamServer, type Point2PointIpamOptions } from './point2point-ipam.js';
