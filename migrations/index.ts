import { CreateTokens1795000000000 } from './1795000000000-CreateTokens';

/** Every migration, oldest first. A new migration file is added here by hand after review. */
export const MIGRATIONS = [CreateTokens1795000000000];
