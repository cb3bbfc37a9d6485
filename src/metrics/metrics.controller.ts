import { Controller, Get, Header } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiRoute } from '../common/http/api-route.decorator';
import { Public } from '../modules/auth/auth.guard';
import { MetricsService } from './metrics.service';

const PROMETHEUS_TEXT = 'text/plain; version=0.0.4; charset=utf-8';

@ApiTags('health')
@Public()
@Controller('metrics')
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  /** Prometheus text; see docs/operations.md for what each family means. */
  @Get()
  @Header('Content-Type', PROMETHEUS_TEXT)
  @ApiRoute({
    summary: 'Prometheus metrics (text format 0.0.4)',
    ok: { text: PROMETHEUS_TEXT },
    isPublic: true,
  })
  render(): Promise<string> {
    return this.metrics.render();
  }
}
