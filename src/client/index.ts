export * from './backoff';
export * from './errors';
export * from './protocol';
export * from './skill-fleet-client';
