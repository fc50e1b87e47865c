/**
 * `metadata`: per-connection storage freed on Close (NSM `utils/metadata`).
 * @module
 */
export { metadata } from './metadata.js';
export {
  metadataKey,
  metadataOf,
  MetadataMap,
  type ConnectionMetadata,
  type MetadataKey,
  type Side,
} from '../../chain/metadata.js';
