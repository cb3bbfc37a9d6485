import { DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { dataSourceOptions } from './data-source';
import { runMigrationsLocked } from './migrator';

/** TypeORM on the shared DataSource definition; pending migrations run at start under a lock. */
@Module({})
export class DatabaseModule {
  static forRoot(config: AppConfig): DynamicModule {
    const url = config.databaseUrl;
    if (!url)
      throw new Error('DatabaseModule needs a database URL (embedded Postgres not started)');
    return {
      module: DatabaseModule,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...dataSourceOptions(url), retryAttempts: 2, retryDelay: 1000 }),
          dataSourceFactory: async (options?: DataSourceOptions) => {
            const dataSource = await new DataSource(options ?? dataSourceOptions(url)).initialize();
            if (config.migrateOnBoot) {
              await runMigrationsLocked(dataSource, new Logger('Migrations'));
            }
            return dataSource;
          },
        }),
      ],
    };
  }
}
