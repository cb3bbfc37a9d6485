import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '#src/config/app-config';
import { HitlService } from './hitl.service';

/** In every worker: applies the timeout action of prompts past `expiresAt`. Safe to run in many. */
@Injectable()
export class HitlSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(HitlSweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    private readonly hitl: HitlService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweepOnce(), this.config.sweepIntervalMs);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  sweepOnce(): Promise<unknown> {
    this.running ??= this.hitl
      .expireDue()
      .catch((error: Error) => this.logger.warn(`Prompt sweep failed: ${error.message}`))
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
