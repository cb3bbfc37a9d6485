import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '#src/config/app-config';
import { DraftsPurgeHook } from './drafts-purge.hook';
import { Skill } from './skill.entity';
import { SkillStore } from './skill-store';
import { SkillsController } from './skills.controller';
import { SkillsFeedPublisher } from './skills-feed.publisher';
import { SkillsService } from './skills.service';

@Module({
  imports: [TypeOrmModule.forFeature([Skill])],
  controllers: [SkillsController],
  providers: [
    SkillsService,
    SkillsFeedPublisher,
    DraftsPurgeHook,
    {
      provide: SkillStore,
      useFactory: (config: AppConfig) =>
        new SkillStore(config.skillsRoot, undefined, config.skillCopyLimits),
      inject: [AppConfig],
    },
  ],
  exports: [SkillsService],
})
export class SkillsModule {}
