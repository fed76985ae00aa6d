#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { EncryptedOrdersStack } from './example-stack';

const app = new App();
new EncryptedOrdersStack(app, 'EncryptedOrders');
// Findings fail the synth; the constructs acknowledge, with reasons, the few they cannot avoid.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
