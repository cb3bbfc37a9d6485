import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { FeedEvents } from '#src/client/protocol';
import { BusMessage, EventBus } from '#src/common/events/event-bus';
import { SkillsService } from './skills.service';
import type { SkillChange } from './skill.types';

/**
 * Puts every change SkillsService reports on the event bus as `skill.changed` on the `skills`
 * feed, so that every gateway process hears it, whichever process wrote the skill. `ownerId` is
 * the draft's owner (null for skills): the gateway sends a draft only to its owner and admins.
 */
@Injectable()
export class SkillsFeedPublisher implements OnModuleInit, OnModuleDestroy {
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly skills: SkillsService,
    private readonly bus: EventBus,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.skills.onChange((change) => this.bus.publish(feedMessage(change)));
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}

/** The bus message of one change (`by` names who made it); a removal says so with `removed: true`. */
export function feedMessage(change: SkillChange): Extract<BusMessage, { kind: 'feed' }> {
  const payload: FeedEvents['skill.changed'] = change.removed
    ? { skill: change.skill, by: change.by, removed: true }
    : { skill: change.skill, by: change.by };
  return {
    kind: 'feed',
    topic: 'skills',
    ownerId: change.ownerId,
    event: 'skill.changed',
    payload,
  };
}
