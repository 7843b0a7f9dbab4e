// The checks before and after a merge: the doctor job (the Scheme screen's Check panel) and the verify job
// (History's Verify button), each recorded as a run of the workspace.
import { defaultWorkspace } from '../environment';
import { checkDoctorPaths, checkVerifyPaths, doctorAsRun, doctorTitle, verifyAsRun, verifyTitle } from '../jobs/kinds/doctor';
import type { HandlerContext, JobStarters } from './types';

export function doctorJobs(ctx: HandlerContext): Pick<JobStarters, 'doctor' | 'verify'> {
  const { runner, checkPath } = ctx;
  return {
    doctor: (params) => {
      const p = checkDoctorPaths(params, params.baseDir ?? defaultWorkspace(), checkPath);
      return runner.submit('doctor', doctorTitle(p), (job) => doctorAsRun(p, job, { workspace: defaultWorkspace() }));
    },
    verify: (params) => {
      const p = checkVerifyPaths(params, checkPath);
      return runner.submit('verify', verifyTitle(p), (job) => verifyAsRun(p, job, { workspace: defaultWorkspace() }));
    },
  };
}
