export { availableProviders, isProviderListed, type ProviderId } from './providers';
export { createSession, f32, i64, type RuntimeSession, type SessionOptions, type Feeds } from './session';
