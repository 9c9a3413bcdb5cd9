export * from './parts.js'
export * from './activity.js'
export * from './fallback.js'
export * from './storable.js'
