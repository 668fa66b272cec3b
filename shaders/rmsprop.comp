#version 450
// rmsprop: tensor.RMSpropUpdate over size values:
//   MeanSquare = ρ·MeanSquare + (1−ρ)·Grad²; step = lr·Grad/sqrt(MeanSquare+ε);
//   without momentum Param −= step, else Velocity = momentum·Velocity + step
//   and Param −= Velocity.
// CPU reference: cpuref/optim.go, rmsprop.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"

layout(std430, set = 0, binding = 1) buffer Param { float param[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 3) buffer MeanSquare { float ms[]; };
layout(std430, set = 0, binding = 4) buffer Velocity { float velocity[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float rho;
    float one_minus_rho; // rounded to float32 on the host, as in cpuref
    float momentum;
    float eps;
    uint has_velocity;   // 0 when momentum is 0: Velocity is a dummy
};

void main() {
    float lr = args.lr;
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        RMSPROP_STEP(param[i], grad[i], ms[i], velocity[i]);
    }
}
