import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '../common/http/api-route.decorator';
import { ErrorCode } from '../client/protocol';
import { Public } from '../modules/auth/auth.guard';
import { LiveDto, NotReadyDto, ReadyDto } from './health.responses';
import { QueueHealthIndicator } from './queue.health';
import { StorageHealthIndicator } from './storage.health';

/** The part of Express's response the controller uses. */
interface StatusResponse {
  status(code: number): unknown;
}

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly queue: QueueHealthIndicator,
    private readonly storage: StorageHealthIndicator,
  ) {}

  /** The process is up. */
  @Get('live')
  @ApiRoute({ summary: 'The process is up', ok: LiveDto, isPublic: true })
  live() {
    return { status: 'ok' };
  }

  /**
   * 200 when the database and the queue answer and DATA_DIR and SKILLS_ROOT take a write. Otherwise 503 with the protocol's error fields
   * (`code: UNAVAILABLE`, a message naming what is down) beside terminus's per-dependency report.
   */
  @Get('ready')
  @ApiRoute({
    summary: 'The database and queue answer, DATA_DIR and SKILLS_ROOT take a write',
    ok: ReadyDto,
    isPublic: true,
  })
  @ApiResponse({
    status: 503,
    description: 'UNAVAILABLE: named in message and error',
    type: NotReadyDto,
  })
  async ready(@Res({ passthrough: true }) response: StatusResponse) {
    try {
      return await this.health.check([
        () => this.database.pingCheck('database', { timeout: 1000 }),
        () => this.queue.check('queue'),
        () => this.storage.check('storage'),
      ]);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const report = error.getResponse() as HealthCheckResult;
      const down = Object.keys(report.error ?? {});
      response.status(503);
      return {
        statusCode: 503,
        code: ErrorCode.UNAVAILABLE,
        message: `Not ready: ${down.join(', ')} down`,
        ...report,
      };
    }
  }
}
