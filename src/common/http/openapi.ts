import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

export const OPENAPI_PATH = 'api/docs';

/**
 * Serves the REST API's OpenAPI document at `/api/docs` (UI) and `/api/docs-json` (the document).
 * Both are public: the document only describes the routes; those marked with the bearer scheme still ask
 * for a token.
 * The document is built on first request, so starting the server pays nothing for it.
 */
export function serveOpenApi(app: INestApplication): void {
  const info = new DocumentBuilder()
    .setTitle('Skill Fleet REST API')
    .setDescription(
      'The REST side of the Skill Fleet protocol (docs/protocol.md §2). The WebSocket at /ws carries ' +
        'the same use cases plus live streams. Errors answer {statusCode, code, message, details?}.',
    )
    .setVersion('1')
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'opaque token',
      description: 'an API token (skill-fleet tokens create)',
    })
    .build();
  SwaggerModule.setup(OPENAPI_PATH, app, () => SwaggerModule.createDocument(app, info), {
    jsonDocumentUrl: `${OPENAPI_PATH}-json`,
    raw: ['json'],
  });
}
