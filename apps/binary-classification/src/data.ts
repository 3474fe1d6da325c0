import { type Tensor, gt, matmul, randn, tidy } from '@tsdl/tensor';

export interface TeacherData {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
  /** The teacher's normal vector [dim, 1]: label = 1 exactly when x · w > 0. */
  teacher: Tensor;
}

/**
 * Data with a known answer: inputs are standard Gaussian vectors and the label
 * is which side of a fixed random hyperplane through the origin a point lies
 * on. The labels are a deterministic function of the inputs, so the best
 * possible (Bayes-optimal) accuracy is 100%, and the classes are balanced.
 * Draws come from the global generator, so call seed() first.
 */
export function teacherData(o: { dim: number; trainSize: number; testSize: number }): TeacherData {
  return tidy(() => {
    const teacher = randn([o.dim, 1]);
    const label = (x: Tensor): Tensor => gt(matmul(x, teacher), 0).cast('float32'); // [n, 1], 0 or 1
    const xTrain = randn([o.trainSize, o.dim]);
    const xTest = randn([o.testSize, o.dim]);
    return { xTrain, yTrain: label(xTrain), xTest, yTest: label(xTest), teacher };
  });
}
