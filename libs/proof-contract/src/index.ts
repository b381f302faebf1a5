export * from './oauth-error';
export * from './proof-paths';
export * from './token-response';
