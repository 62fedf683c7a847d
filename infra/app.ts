import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PortraitGatewayStack } from './portrait-gateway-stack.ts';
import { readStackName } from './stack-config.ts';

const app = new App();
new PortraitGatewayStack(app, readStackName(app.node), {
  description:
    "Portrait gateway: Tencent Chat's portrait_get behind IAM, a DynamoDB cache and the rate ceiling",
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
