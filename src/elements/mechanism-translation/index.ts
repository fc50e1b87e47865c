/**
 * `mechanism-translation`: the forwarder's split between the incoming and the outgoing mechanism (NSM
 * `common/mechanismtranslation`).
 * @module
 */
export { mechanismTranslationClient } from './mechanism-translation.js';
