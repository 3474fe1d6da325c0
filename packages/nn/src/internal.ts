/**
 * @tsdl/nn/internal: what keras shares with nn's file readers (the strict JSON parser that
 * safetensors headers go through). Not for users and not semver-stable.
 */
export { type Json, JsonError, parseStrictJson } from './io/strict-json';
