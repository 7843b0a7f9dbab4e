// The checks before and after a merge: the doctor job (the Scheme screen's Check panel) and the verify job
// (History's Verify button).
import { runDoctor } from '../doctor/doctor';
import { defaultWorkspace } from '../environment';
import { checkDoctorPaths, checkVerifyPaths, doctorTitle, verifyTitle } from '../jobs/kinds/doctor';
import { verifyOutput } from '../merge/verify';
import type { HandlerContext, JobStarters } from './types';

export function doctorJobs(ctx: HandlerContext): Pick<JobStarters, 'doctor' | 'verify'> {
  const { runner, checkPath } = ctx;
  return {
    doctor: (params) => {
      const p = checkDoctorPaths(params, params.baseDir ?? defaultWorkspace(), checkPath);
      return runner.submit('doctor', doctorTitle(p), (job) => runDoctor(p, job));
    },
    verify: (params) => {
      const p = checkVerifyPaths(params, checkPath);
      return runner.submit('verify', verifyTitle(p), (job) => verifyOutput(p.output, job, { search: p.search, workspace: defaultWorkspace() }));
    },
  };
}
