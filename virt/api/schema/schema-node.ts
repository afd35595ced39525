// How the readers of a declaration (validator, CRD and reference generators) see a schema node: the
// JSON-Schema subset the builders emit, plus virtstack's own x-virtstack-* annotations.
import type { X_AT_MOST_ONE, X_EXTENSION, X_EXACTLY_ONE, X_OBJECT_META, X_QUANTITY, X_UPSTREAM, X_UPSTREAM_PROJECT, X_UPSTREAM_VALUES } from './builders.js';

export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  required?: string[];
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  [X_UPSTREAM]?: string[];
  [X_EXACTLY_ONE]?: string[];
  [X_AT_MOST_ONE]?: string[];
  [X_QUANTITY]?: boolean;
  [X_OBJECT_META]?: boolean;
  [X_UPSTREAM_PROJECT]?: string;
  [X_UPSTREAM_VALUES]?: unknown[];
  [X_EXTENSION]?: boolean;
}
