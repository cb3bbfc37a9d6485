import { Injectable } from '@nestjs/common';
import { validateDto } from '#src/common/errors/validation';
import { toJobView } from '#src/modules/jobs/job-view';
import { JobsService } from '#src/modules/jobs/jobs.service';
import { JobIdDto } from '#src/modules/jobs/dto/jobs.dto';
import { SubscribeFeedDto, SubscribeJobDto } from '../dto/gateway.dto';
import { SubscriptionRegistry } from '../subscription.registry';
import type { WsHandlerTable } from '../ws-methods';

/** jobs.subscribe, jobs.unsubscribe and feed.subscribe (protocol.md 1.3, 1.4). */
@Injectable()
export class StreamsWsHandlers {
  constructor(
    private readonly jobs: JobsService,
    private readonly subscriptions: SubscriptionRegistry,
  ) {}

  readonly handlers = {
    'jobs.subscribe': async (payload, principal, call) => {
      const { jobId, afterSeq } = await validateDto(SubscribeJobDto, payload, 'payload');
      // Live events are held from before the snapshot is read, so none can fall between the two.
      const stream = this.subscriptions.openJobStream(call.connection, jobId);
      try {
        const job = await this.jobs.findForSubscribe(principal, jobId);
        call.afterReply(() => stream.start(afterSeq ?? job.lastSeq));
        return { job: toJobView(job), lastSeq: job.lastSeq };
      } catch (error) {
        this.subscriptions.closeJobStream(call.connection, jobId, stream);
        throw error;
      }
    },
    'jobs.unsubscribe': async (payload, _principal, call) => {
      const { jobId } = await validateDto(JobIdDto, payload, 'payload');
      this.subscriptions.closeJobStream(call.connection, jobId);
      return {};
    },
    'feed.subscribe': async (payload, _principal, call) => {
      const { topics } = await validateDto(SubscribeFeedDto, payload, 'payload');
      this.subscriptions.subscribeFeed(call.connection, topics);
      return {};
    },
  } satisfies Partial<WsHandlerTable>;
}
