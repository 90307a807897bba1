import { Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_CONFIG } from './config';

/** Route that FPT posts to; `{subscription}` selects the signing secret. */
export const WEBHOOK_ROUTE_PATH = '/webhooks/{subscription}';

/**
 * Fields of one access log line. Only request metadata: never headers (the signature) or the body (PII).
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging-variables.html
 */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  routeKey: '$context.routeKey',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
} as const;

/** Properties of a {@link WebhookApi}. */
export interface WebhookApiProps {
  /** The function that verifies and accepts each delivery. */
  readonly verifier: lambda.IFunction;
  /**
   * Steady-state requests per second allowed on the stage.
   * @default 50 (`DEFAULT_CONFIG.throttlingRateLimit`)
   */
  readonly throttlingRateLimit?: number;
  /**
   * Burst of requests allowed on the stage.
   * @default 100 (`DEFAULT_CONFIG.throttlingBurstLimit`)
   */
  readonly throttlingBurstLimit?: number;
  /**
   * Retention of the access log group, in days.
   * @default 30 (`DEFAULT_CONFIG.logRetentionDays`)
   */
  readonly logRetentionDays?: number;
}

/**
 * The public HTTPS endpoint: an HTTP API with one route, `POST /webhooks/{subscription}`, proxied to the
 * verifier (payload format 2.0). No CORS: FPT calls server to server.
 *
 * The `$default` stage is created here rather than by `HttpApi`, because only an explicit stage takes
 * throttling and access log settings.
 */
export class WebhookApi extends Construct {
  /** The HTTP API. */
  public readonly api: apigwv2.HttpApi;
  /** The `$default` stage (auto-deployed, throttled, access-logged). */
  public readonly stage: apigwv2.HttpStage;
  /** The `POST /webhooks/{subscription}` route. */
  public readonly route: apigwv2.HttpRoute;
  /** Where the stage writes its JSON access log. */
  public readonly accessLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);

    this.api = new apigwv2.HttpApi(this, 'Resource', {
      description: 'Receives FitProTracker webhooks',
      createDefaultStage: false,
    });

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogs', {
      retention: (props.logRetentionDays ?? DEFAULT_CONFIG.logRetentionDays) as logs.RetentionDays,
    });

    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttlingRateLimit ?? DEFAULT_CONFIG.throttlingRateLimit,
        burstLimit: props.throttlingBurstLimit ?? DEFAULT_CONFIG.throttlingBurstLimit,
      },
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogGroup),
        format: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const [route] = this.api.addRoutes({
      path: WEBHOOK_ROUTE_PATH,
      methods: [apigwv2.HttpMethod.POST],
      integration: new HttpLambdaIntegration('Verifier', props.verifier, {
        payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
      }),
    });
    if (route === undefined) throw new Error('addRoutes returned no route for POST /webhooks/{subscription}');
    this.route = route;

    Validations.of(this.route).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'FPT authenticates with an HMAC signature over the raw body (X-FPT-Signature), checked by the verifier Lambda before anything else; API Gateway authorizers cannot read the request body',
    });
  }

  /** The URL FPT posts to for one subscription. */
  public urlFor(subscription: string): string {
    return `${this.api.apiEndpoint}/webhooks/${subscription}`;
  }
}
