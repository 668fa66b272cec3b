#version 450
// sgd: tensor.SGDUpdate over size values. Without momentum Param −= lr·Grad;
// with it Velocity = momentum·Velocity − lr·Grad, then Param += Velocity, or
// with Nesterov Param += momentum·Velocity − lr·Grad. The learning rate is
// this step's, from the step arguments.
// CPU reference: cpuref/optim.go, sgd.
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "optim.glsl"

layout(std430, set = 0, binding = 1) buffer Param { float param[]; };
layout(std430, set = 0, binding = 2) readonly buffer Grad { float grad[]; };
layout(std430, set = 0, binding = 3) buffer Velocity { float velocity[]; };

layout(push_constant, std430) uniform Push {
    uint size;
    float momentum;
    uint nesterov;
    uint has_velocity; // 0 when momentum is 0: Velocity is a dummy
};

void main() {
    float lr = args.lr;
    for (uint i = gl_GlobalInvocationID.x; i < size; i += grid_stride()) {
        SGD_STEP(param[i], grad[i], velocity[i]);
    }
}
