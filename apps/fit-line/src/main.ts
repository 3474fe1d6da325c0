#!/usr/bin/env node
// Fits a line with autograd on the CPU backend and prints what it learned.
import { cpu } from '@tsdl/backend-cpu';
import { setBackend } from '@tsdl/tensor';
import { fitLine } from './fit';

setBackend(cpu());
const trueWeight = 3;
const trueBias = 2;
const started = performance.now();
const { weight, bias, loss } = fitLine({ trueWeight, trueBias });
const ms = performance.now() - started;
console.log(`fit y = w·x + b by gradient descent (200 steps, ${ms.toFixed(0)} ms)`);
console.log(`  weight: learned ${weight.toFixed(4)}   true ${trueWeight}`);
console.log(`  bias:   learned ${bias.toFixed(4)}   true ${trueBias}`);
console.log(`  final mean squared error: ${loss.toFixed(5)} (the noise variance is 0.01)`);
