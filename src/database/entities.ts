import { Token } from '../modules/auth/token.entity';

/** Every entity, registered once on the shared DataSource. */
export const ENTITIES = [Token];
